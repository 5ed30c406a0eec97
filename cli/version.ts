// The CLI shows the package version kept in src/version.ts.
export { version } from '../src/version.js';
