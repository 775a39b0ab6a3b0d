// The root service worker, served at /sw.js so that its scope is the whole site: each
// concern lives in its own file of this build ({{v}} is the build's version, so a new build
// is a new worker).
// Web Push: each push shown as a notification; a request for more time answered from it.
importScripts('/assets/{{v}}/js/sw-push.js');
