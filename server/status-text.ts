/**
 * Status messages are bounded and on one line, whatever a client sent or a decoder printed.
 *
 * A message travels in the `grpc-message` header (percent-encoded) and again in `grpc-status-details-bin`; grpc-js
 * clients refuse response metadata over 8 KB, so a message that echoed a 10,000-character model name whole would
 * reach the client as RESOURCE_EXHAUSTED instead of the real status. Decoders (libvips, libheif) print multi-line
 * dumps that say the same thing many times; one line is what logs and terminals show well.
 */

/** Longest quoted value echoed from a request, in characters. */
export const MAX_ECHOED_CHARS = 200;
/** Longest message, in UTF-8 bytes (3 KB at worst once percent-encoded, well below the 8 KB limit). */
export const MAX_MESSAGE_BYTES = 1024;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Multi-line text as one line: the first and the last line, with how many were left out between them. */
export function oneLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length <= 2) return lines.join('; ');
  return `${lines[0]}; … (${lines.length - 2} more lines) …; ${lines[lines.length - 1]}`;
}

/** A quoted value longer than {@link MAX_ECHOED_CHARS} keeps its start and says how long it was. */
export function truncateQuoted(text: string): string {
  return text.replace(/"([^"]*)"/g, (whole, value: string) =>
    value.length <= MAX_ECHOED_CHARS ? whole : `"${cut(value, MAX_ECHOED_CHARS)}…" (${value.length} characters)`,
  );
}

/** The message as it may be sent: one line, long echoed values shortened, at most {@link MAX_MESSAGE_BYTES}. */
export function boundedMessage(text: string): string {
  const message = truncateQuoted(oneLine(text));
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  // Cut by characters until the UTF-8 form fits (at most 4 bytes per character, so a few rounds at most).
  let kept = cut(message, MAX_MESSAGE_BYTES);
  while (Buffer.byteLength(kept) > MAX_MESSAGE_BYTES - 4) kept = cut(kept, Math.floor(kept.length * 0.9));
  return `${kept}…`;
}
