DROP TABLE device_sessions;
DROP TABLE parent_pins;
