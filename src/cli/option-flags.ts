/**
 * Library errors name the options as the library spells them (`workers`); each command says which of
 * its flags sets which option, so that its messages name the flag a user typed.
 */
export type OptionFlags = Readonly<Record<string, string>>;

/** `api` names the API as a whole (an answer it gave), which a user reaches through --api_url. */
const API = { apiUrl: "--api_url", api: "--api_url" };
const SELECTION = {
  restrictTo: "--restrict_to_dandisets",
  excluded: "--excluded_dandisets",
  limit: "--dandiset_limit",
};

export const REDUCE_FLAGS: OptionFlags = {
  rawFolder: "--raw_s3_logs_folder_path",
  reducedFolder: "--reduced_s3_logs_folder_path",
  workers: "--maximum_number_of_workers",
  bufferBytes: "--maximum_buffer_size_in_mb",
  excludedYears: "--excluded_years",
  excludedIps: "--excluded_ips",
  operation: "--operation_type",
  settleHours: "--settle_hours",
  inventory: "--inventory",
  networkTimeoutMs: "--network_timeout_seconds",
  ipKey: "--ip_key_file",
  keepRawLines: "--keep_raw_lines",
};

export const BIN_FLAGS: OptionFlags = {
  reducedFolder: "--reduced_s3_logs_folder_path",
  binnedFolder: "--binned_s3_logs_folder_path",
  fileLimit: "--file_limit",
  workers: "--maximum_number_of_workers",
  bufferBytes: "--maximum_buffer_size_in_mb",
  keepRawLines: "--keep_raw_lines",
};

export const MAP_FLAGS: OptionFlags = {
  binnedFolder: "--binned_s3_logs_folder_path",
  mappedFolder: "--mapped_s3_logs_folder_path",
  catalog: "--catalog",
  ipRangesFolder: "--ip_ranges_folder",
  objectType: "--object_type",
  rebuild: "--rebuild",
  workers: "--maximum_number_of_workers",
  summariesFolder: "--summaries_folder_path",
  regionDisclosureThreshold: "--region_disclosure_threshold",
  publishEmbargoed: "--publish_embargoed",
  privacyThreshold: "--privacy_threshold",
  privacyRounding: "--privacy_rounding",
  ipKey: "--ip_key_file",
  keepRawLines: "--keep_raw_lines",
  ...API,
  ...SELECTION,
};

export const CATALOG_FLAGS: OptionFlags = { file: "--output", ...API, ...SELECTION };

export const REPORT_FLAGS: OptionFlags = {
  mappedFolder: "--mapped_s3_logs_folder_path",
  summariesFolder: "--summaries_folder_path",
  outputFolder: "--output_folder",
  workers: "--maximum_number_of_workers",
};

export const RUN_FLAGS: OptionFlags = {
  rawFolder: "--raw_s3_logs_folder_path",
  workFolder: "--work_folder",
  catalog: "--catalog",
  ipRangesFolder: "--ip_ranges_folder",
  workers: "--maximum_number_of_workers",
  bufferBytes: "--maximum_buffer_size_in_mb",
  excludedYears: "--excluded_years",
  excludedIps: "--excluded_ips",
  settleHours: "--settle_hours",
  inventory: "--inventory",
  networkTimeoutMs: "--network_timeout_seconds",
  ipKey: "--ip_key_file",
  keepRawLines: "--keep_raw_lines",
  regionDisclosureThreshold: "--region_disclosure_threshold",
  publishEmbargoed: "--publish_embargoed",
  rebuild: "--rebuild",
  ...API,
};

export const REKEY_FLAGS: OptionFlags = {
  workFolder: "--work_folder",
  ipKey: "--ip_key_file",
  oldIpKey: "--old_ip_key_file",
};

export const DEMO_FLAGS: OptionFlags = { workFolder: "--work_folder" };

export const UPDATE_IP_RANGES_FLAGS: OptionFlags = {
  "urls.AWS": "--aws_url",
  "urls.GCP": "--gcp_url",
  "urls.GitHub": "--github_url",
  timeoutMs: "--timeout_seconds",
};

export const GENERATE_FLAGS: OptionFlags = {
  folder: "--output_folder",
  seed: "--seed",
  days: "--days",
  startDate: "--start_date",
  bytesPerDay: "--bytes_per_day",
  damageRate: "--damage_rate",
  blobCount: "--blobs",
  zarrCount: "--zarrs",
  dandisets: "--dandisets",
};

/** The message of a library error with each option it names (`` `workers` ``) replaced by its flag. */
export function withFlagNames(message: string, optionNames: readonly string[], flags: OptionFlags): string {
  let text = message;
  for (const option of optionNames) {
    const flag = Object.hasOwn(flags, option) ? flags[option] : undefined;
    if (flag !== undefined) text = text.split(`\`${option}\``).join(flag);
  }
  return text;
}
