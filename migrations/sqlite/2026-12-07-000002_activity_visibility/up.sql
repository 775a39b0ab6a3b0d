-- Whose activities: `private` (its author), `classes` (its author's classes) or `public`
-- (everyone). Starter content (no author) and what admins wrote was everyone's before and
-- stays public; what teachers wrote so far goes to their own classes only.
ALTER TABLE activities ADD COLUMN visibility TEXT NOT NULL DEFAULT 'classes'
    CHECK (visibility IN ('private', 'classes', 'public'));
UPDATE activities SET visibility = 'public'
    WHERE author_id IS NULL
       OR author_id IN (SELECT id FROM users WHERE role = 'admin');
