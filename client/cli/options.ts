/** Option parsers and options shared by the client commands. */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ADDRESS } from '../luab-client.js';

export function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

export function parsePositiveNumber(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`expected a positive number, got "${raw}"`);
  return value;
}

export const addressOption = () =>
  new Option('--address <host:port>', 'server address; a comma-separated list spreads calls round-robin over replicas')
    .env('LUAB_ADDRESS')
    .default(DEFAULT_ADDRESS);
