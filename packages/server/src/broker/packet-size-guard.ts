/**
 * Refuses MQTT packets larger than a limit before they are buffered. The MQTT parser keeps a
 * packet in memory until its last byte arrives, and a packet may announce up to 256 MB
 * (MQTT 3.1.1 section 2.2.3, Remaining Length), even a CONNECT from an unauthenticated client; this follows
 * the framing of the byte stream (fixed header, Remaining Length, body) and reports the first
 * packet that announces more than the limit, so the connection can be closed at once.
 */

/** Feeds a chunk; false once a packet over the limit (or a malformed length) was announced. */
export type PacketSizeGuard = (chunk: Buffer) => boolean;

/** A guard for one connection's incoming bytes. */
export function createPacketSizeGuard(maxPacketBytes: number): PacketSizeGuard {
  let state: 'header' | 'length' | 'body' = 'header';
  let length = 0;
  let multiplier = 1;
  let remaining = 0;
  let isViolated = false;
  return (chunk) => {
    let index = 0;
    while (!isViolated && index < chunk.length) {
      if (state === 'body') {
        const taken = Math.min(remaining, chunk.length - index);
        index += taken;
        remaining -= taken;
        if (remaining === 0) state = 'header';
        continue;
      }
      const byte = chunk[index++] as number;
      if (state === 'header') {
        state = 'length';
        length = 0;
        multiplier = 1;
        continue;
      }
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      // The Remaining Length takes at most four bytes (section 2.2.3).
      if (length > maxPacketBytes || ((byte & 0x80) !== 0 && multiplier > 128 ** 3)) isViolated = true;
      else if ((byte & 0x80) === 0) {
        remaining = length;
        state = remaining === 0 ? 'header' : 'body';
      }
    }
    return !isViolated;
  };
}
