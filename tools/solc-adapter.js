#!/usr/bin/env node
// Native-solc look-alike over the npm `solc` (solc-js, WebAssembly) package.
//
// py-solc-x (used by ape-solidity) and forge call a compiler executable in two ways only:
//   <exe> --version
//   <exe> --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths A,B] [-]
// with the Standard JSON input on stdin. solc-js's own CLI (`solcjs`) accepts neither form, so this
// adapter answers both, resolving imports the way native solc does: against the base path, then
// each include path, then as given (absolute paths).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(
    `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solc-adapter: only --version and --standard-json are supported\n');
  process.exit(2);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === '--base-path' || args[i] === '--include-path') && args[i + 1]) {
    roots.push(path.resolve(args[++i]));
  }
}
if (roots.length === 0) roots.push(process.cwd());

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((root) => path.join(root, importPath));
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch (_) {
      // try the next root
    }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
