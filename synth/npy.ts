/**
 * Writes a 2-D uint8 array in NumPy's .npy format (version 1.0), the format of the Backgrounds Challenge's
 * `fg_mask/` files (`np.load` reads them). Hand-written: the format is a fixed magic string, a padded header
 * with a Python dict literal, then the raw bytes; no npm package for it is among the dependencies.
 */

export function encodeNpyUint8(data: Uint8Array, rows: number, cols: number): Buffer {
  if (data.length !== rows * cols) throw new Error(`npy: ${data.length} values do not fill ${rows} x ${cols}`);
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  // Magic (6) + version (2) + header length (2) + header must be a multiple of 64, the header ending in '\n'.
  const preamble = 10;
  const padded = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  const header = dict.padEnd(padded - 1, ' ') + '\n';
  const out = Buffer.alloc(preamble + header.length + data.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, preamble, 'latin1');
  out.set(data, preamble + header.length);
  return out;
}

/** Reads back what encodeNpyUint8 writes (tests and the contact sheets use it). */
export function decodeNpyUint8(buf: Buffer): { rows: number; cols: number; data: Uint8Array } {
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error('npy: bad magic string');
  const headerLength = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLength);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!header.includes("'descr': '|u1'") || !shape) throw new Error(`npy: unsupported header ${header.trim()}`);
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  return { rows, cols, data: new Uint8Array(buf.subarray(10 + headerLength, 10 + headerLength + rows * cols)) };
}
