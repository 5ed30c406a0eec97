// Structured logs (pino, JSON lines on stderr) so that a lab's many agents can be grepped and joined.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, node: string): Logger {
  return pino({ level, base: { node }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
