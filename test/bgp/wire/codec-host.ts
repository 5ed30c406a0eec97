// A BgpSpeaker (on bgp/wire, as always), in its own process so a test can run it inside a lab
// namespace. The parent sends one {setup} message (speaker options, peers, routes to announce), then
// {id, locRib} queries; the host answers {id, routes}.
import { BgpSpeaker, type PeerOptions, type SpeakerOptions } from '../../../bgp/index.js';

type Setup = {
  speaker: SpeakerOptions;
  peers: PeerOptions[];
  announce: { prefix: string; attrs?: Record<string, unknown> }[];
};

let speaker: BgpSpeaker | undefined;
process.on('message', async (m: { setup?: Setup; id?: number; locRib?: boolean }) => {
  if (m.setup) {
    speaker = new BgpSpeaker(m.setup.speaker);
    await speaker.start();
    for (const p of m.setup.peers) speaker.addPeer(p);
    for (const a of m.setup.announce) speaker.announce(a.prefix, a.attrs as never);
    process.send?.({ started: true });
  } else if (m.locRib) process.send?.({ id: m.id, routes: speaker?.locRib() ?? [], peers: speaker?.peers() ?? [] });
});
process.send?.({ ready: true });
