// Preload for jco commands that read WIT from disk (`jco embed --wit`): jco runs wasm-tools as a
// component over WASI preview2 (@bytecodealliance/preview2-shim), whose filesystem has no
// directories until a preopen is set. This one gives it the root, so relative and absolute paths
// both resolve.
//
//   node --import ./host/wasi/preopens.mjs node_modules/@bytecodealliance/jco/dist/jco.js embed ...
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

_setPreopens({ '/': '/' });
