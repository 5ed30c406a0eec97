// The Codec the speaker uses: bgp/wire's, through its session adapter (bgp/wire/session-codec.ts).
// The interim codec beside it (codec-decode.ts, codec-encode.ts) stays only as the benchmark's and
// the cross-check test's reference.
export { sessionCodec as wireCodec } from '../wire/session-codec.js';
