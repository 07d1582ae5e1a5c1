/**
 * The fields of an Amazon S3 server access log line, in the order AWS writes them.
 * Field indexes are plain numbers (not a `const enum`) so every build tool inlines them alike.
 */
export const S3_LOG_FIELD_NAMES = [
  "bucketOwner",
  "bucket",
  "time",
  "remoteIp",
  "requester",
  "requestId",
  "operation",
  "key",
  "requestUri",
  "httpStatus",
  "errorCode",
  "bytesSent",
  "objectSize",
  "totalTime",
  "turnAroundTime",
  "referer",
  "userAgent",
  "versionId",
  "hostId",
  "signatureVersion",
  "cipherSuite",
  "authenticationType",
  "hostHeader",
  "tlsVersion",
  "accessPointArn",
  "aclRequired",
  "sourceRegion",
] as const;

export type S3LogFieldName = (typeof S3_LOG_FIELD_NAMES)[number];

export const FIELD_COUNT = S3_LOG_FIELD_NAMES.length;

export const F_BUCKET_OWNER = 0;
export const F_BUCKET = 1;
export const F_TIME = 2;
export const F_REMOTE_IP = 3;
export const F_REQUESTER = 4;
export const F_REQUEST_ID = 5;
export const F_OPERATION = 6;
export const F_KEY = 7;
export const F_REQUEST_URI = 8;
export const F_HTTP_STATUS = 9;
export const F_ERROR_CODE = 10;
export const F_BYTES_SENT = 11;
export const F_OBJECT_SIZE = 12;
export const F_TOTAL_TIME = 13;
export const F_TURN_AROUND_TIME = 14;
export const F_REFERER = 15;
export const F_USER_AGENT = 16;
export const F_VERSION_ID = 17;
export const F_HOST_ID = 18;

/** The operation of a download, the one the reduce step keeps. */
export const DEFAULT_OPERATION = "REST.GET.OBJECT";

/** Lines written until about 2017 stop after the version ID; anything shorter was cut off. */
export const MINIMUM_FIELD_COUNT = F_VERSION_ID + 1;
