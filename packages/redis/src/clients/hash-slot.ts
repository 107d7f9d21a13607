/**
 * The Redis Cluster hash slot of a name (the CRC16/XMODEM of its hash tag, or of the whole name
 * when it has none, modulo 16384), as the cluster specification defines it. Used only to pick the
 * shard a sharded subscription goes to when the client library cannot route it itself.
 */
export const HASH_SLOTS = 16_384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  }
  return crc;
}

/** The part of a name the slot is computed from: the first non-empty `{...}`, else the name. */
function hashedPart(name: Uint8Array): Uint8Array {
  const open = name.indexOf(0x7b); // "{"
  if (open === -1) return name;
  const close = name.indexOf(0x7d, open + 1); // "}"
  if (close === -1 || close === open + 1) return name;
  return name.subarray(open + 1, close);
}

export function hashSlot(name: string): number {
  return crc16(hashedPart(new TextEncoder().encode(name))) % HASH_SLOTS;
}
