// The agent's event stream (peers changing state, best paths, endpoints): one hub that the gRPC
// WatchEvents calls subscribe to. Slow subscribers cannot block the agent: emit is synchronous and
// each subscriber decides what to do with its events.
import type { Event } from '../api/types.js';

export type EventListener = (event: Event) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: Omit<Event, 'timeUnixMs'>): void {
    if (this.listeners.size === 0) return;
    const full: Event = { timeUnixMs: Date.now(), ...event };
    for (const l of this.listeners) {
      try {
        l(full);
      } catch {
        // a broken subscriber (its client went away mid-write) must not stop the others
        this.listeners.delete(l);
      }
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
