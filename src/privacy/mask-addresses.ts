import { parseIpv6 } from "../geo/ip-address.js";

/** What an address becomes in an error log. */
export const ADDRESS_MASK = "x.x.x.x";

/** Runs of the characters of addresses; each is masked only if it parses as one. */
const CANDIDATE = /[0-9A-Fa-f:.]{2,}/g;
const IPV4 = /(?<![0-9])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])/g;

/**
 * `text` with every IPv4 and IPv6 address replaced by `x.x.x.x`, for error logs. IPv4 is matched
 * by shape alone (four dotted numbers, so `300.1.1.1` is masked too: better one too many); IPv6
 * only where a run of its characters parses as an address, so that times (`2019:00:00:38`) stay.
 */
export function maskAddresses(text: string): string {
  let masked = text.replace(CANDIDATE, (run) =>
    run.includes(":") && parseIpv6(trimDots(run)) !== null ? ADDRESS_MASK : run,
  );
  masked = masked.replace(IPV4, ADDRESS_MASK);
  return masked;
}

function trimDots(run: string): string {
  let start = 0;
  let end = run.length;
  while (start < end && run[start] === ".") start++;
  while (end > start && run[end - 1] === ".") end--;
  return run.slice(start, end);
}
