/**
 * Structured logging (pino). One root logger per server; modules take a child with their name so a log line says
 * where it came from (`{"module":"batcher",...}`).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info'): Logger {
  // Logs go to stderr so that stdout stays free for command output (`luab predict --json`).
  return pino({ level, base: { service: 'luab-server' } }, pino.destination(2));
}
