/** Why a line of a reduced day file was not binned. Stable codes: they appear in the error log. */
export const REJECT_REASONS = [
  "bad_header",
  "too_few_columns",
  "too_many_columns",
  "bad_timestamp",
  "bad_ip_address",
  "not_asset_key",
  "bad_bytes_sent",
  "bad_status",
  "line_too_long",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const REJECT_DESCRIPTIONS: Record<RejectReason, string> = {
  bad_header: "first line is neither the reduced header nor a row",
  too_few_columns: "fewer columns than a reduced row of its day (five with the status, four without)",
  too_many_columns: "more columns than a reduced row of its day (five with the status, four without)",
  bad_timestamp: "timestamp is not YYYY-MM-DDTHH:MM:SS",
  bad_ip_address: "IP address column is not an address",
  not_asset_key: "object key is not a DANDI blob or Zarr key (never written to disk)",
  bad_bytes_sent: "bytes sent is not a whole number",
  bad_status: "HTTP status is not three digits",
  line_too_long: "line longer than the read buffer",
};

export function emptyRejectCounts(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((reason) => [reason, 0])) as Record<RejectReason, number>;
}
