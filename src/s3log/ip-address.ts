const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DOT = 0x2e;
const COLON = 0x3a;
const DASH = 0x2d;

/** Characters of IPv4 and IPv6 text forms: digits, `.`, `:` and hex letters of either case. */
const IP_CHARACTER = new Uint8Array(256);
for (const c of "0123456789.:abcdefABCDEF") IP_CHARACTER[c.charCodeAt(0)] = 1;

/** The longest IPv6 text form, with an embedded IPv4 address. */
const MAX_IP_LENGTH = 45;

/**
 * Whether `buf[start, end)` looks like an IP address (or `-`, which AWS writes when it has none).
 * A shape check, not a full parse: enough to keep anything that is not an address out of the tables.
 */
export function isRemoteIp(buf: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if (length === 1) return buf[start] === DASH;
  if (length < 2 || length > MAX_IP_LENGTH) return false;
  let separators = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (IP_CHARACTER[c] !== 1) return false;
    if (c === DOT || c === COLON) separators++;
    else if (c >= DIGIT_0 && c <= DIGIT_9) digits++;
  }
  return separators > 0 && (digits > 0 || length > 2);
}
