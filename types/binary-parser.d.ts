// binary-parser's package.json "exports" map carries no types under NodeNext resolution; point the
// module name at the declarations it ships.
declare module 'binary-parser' {
  export * from 'binary-parser/dist/binary_parser.js';
}
