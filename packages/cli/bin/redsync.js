#!/usr/bin/env node
// The `redsync` command. A committed shim, so that npm links it at install time (before the
// build has made dist/main.js); `npm ci` builds through the workspace's `prepare` script.
import '../dist/main.js';
