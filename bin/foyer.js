#!/usr/bin/env node
// The `foyer` command. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import '../dist/cli/entry.js';
