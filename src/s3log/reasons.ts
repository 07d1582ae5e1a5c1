/**
 * Why a line was not kept. Codes are stable: they appear in the error log and in run summaries.
 * Reasons are small integers so the hot loop can count them in a typed array.
 */
export const MALFORMED_REASONS = [
  "truncated",
  "bad_timestamp",
  "no_operation",
  "bad_request_uri",
  "bad_http_status",
  "bad_bytes_sent",
  "bad_remote_ip",
  "line_too_long",
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export const M_TRUNCATED = 0;
export const M_BAD_TIMESTAMP = 1;
export const M_NO_OPERATION = 2;
export const M_BAD_REQUEST_URI = 3;
export const M_BAD_HTTP_STATUS = 4;
export const M_BAD_BYTES_SENT = 5;
export const M_BAD_REMOTE_IP = 6;
export const M_LINE_TOO_LONG = 7;

export const MALFORMED_DESCRIPTIONS: Record<MalformedReason, string> = {
  truncated: "the line ends before its version ID field",
  bad_timestamp: "the time field is not [dd/Mon/yyyy:HH:MM:SS +zzzz]",
  no_operation: "no operation field (such as REST.GET.OBJECT) where one belongs",
  bad_request_uri: 'the request URI is neither "-" nor a quoted string followed by a status',
  bad_http_status: "the HTTP status is not three digits",
  bad_bytes_sent: 'bytes sent is neither "-" nor a whole number',
  bad_remote_ip: "the remote IP is neither an IPv4 nor an IPv6 address",
  line_too_long: "the line is longer than the longest line accepted",
};

export const FILTER_REASONS = ["blank", "operation", "status", "year", "ip", "not_asset_key"] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];

export const R_BLANK = 0;
export const R_OPERATION = 1;
export const R_STATUS = 2;
export const R_YEAR = 3;
export const R_IP = 4;
export const R_NOT_ASSET_KEY = 5;

export const FILTER_DESCRIPTIONS: Record<FilterReason, string> = {
  blank: "blank line",
  operation: "another operation than the one reduced",
  status: "HTTP status outside 2xx",
  year: "an excluded year",
  ip: "an excluded IP address",
  not_asset_key: "the key is not a DANDI blob or Zarr key",
};
