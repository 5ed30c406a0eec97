// The Codec the speaker uses: bgp/wire's, through its session adapter (bgp/wire/session-codec.ts).
export { sessionCodec as wireCodec } from '../wire/session-codec.js';
