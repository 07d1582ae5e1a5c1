import * as fs from "node:fs";
import * as path from "node:path";

export interface GeneratedObject {
  key: string;
  body: Buffer;
  /** Delivery time, ms since the epoch. */
  delivered: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TIME = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]/;

/**
 * The lines of day files (`YYYY/MM/DD.log`, in path order) cut into log objects as AWS delivers
 * them: runs of `linesPerObject` lines, each named by a delivery time a few minutes after its last
 * line, so the last object of a day is delivered just after midnight with that day's lines. Keys
 * sort in line order; concatenated in key order, the objects are the day files.
 */
export function cutIntoLogObjects(
  dayFolder: string,
  layout: "simple" | "partitioned",
  prefix = "logs/",
  linesPerObject = 40,
): GeneratedObject[] {
  const days = fs
    .readdirSync(dayFolder, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".log"))
    .sort();
  const lines: Buffer[] = [];
  for (const day of days) {
    const text = fs.readFileSync(path.join(dayFolder, day));
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf(0x0a, start);
      const end = newline === -1 ? text.length : newline + 1;
      // A day file's last line may lack its newline; an object must not join it to the next day's first.
      lines.push(
        newline === -1
          ? Buffer.concat([text.subarray(start, end), Buffer.from("\n")])
          : text.subarray(start, end),
      );
      start = end;
    }
  }
  const objects: GeneratedObject[] = [];
  let lastTime = 0;
  let delivered = 0;
  for (let i = 0; i < lines.length; i += linesPerObject) {
    const chunk = lines.slice(i, i + linesPerObject);
    for (const line of chunk) {
      const match = TIME.exec(line.toString("latin1"));
      if (match !== null)
        lastTime = Date.UTC(+match[3], MONTHS.indexOf(match[2]), +match[1], +match[4], +match[5], +match[6]);
    }
    // Delivered 5 minutes after its last line, and never before the object before it.
    delivered = Math.max(delivered + 1000, lastTime + 5 * 60 * 1000);
    const stamp = new Date(delivered).toISOString();
    const name = `${stamp.slice(0, 10)}-${stamp.slice(11, 13)}-${stamp.slice(14, 16)}-${stamp.slice(17, 19)}-${(objects.length + 0x1000).toString(16).toUpperCase().padStart(16, "0")}`;
    const folder =
      layout === "simple"
        ? ""
        : `123456789012/us-east-1/dandiarchive/${stamp.slice(0, 10).replaceAll("-", "/")}/`;
    objects.push({ key: `${prefix}${folder}${name}`, body: Buffer.concat(chunk), delivered });
  }
  return objects;
}

/** Writes objects into a local folder, keys as paths. */
export function writeLogObjects(folder: string, objects: readonly GeneratedObject[], prefix = "logs/"): void {
  for (const object of objects) {
    const file = path.join(folder, object.key.slice(prefix.length));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, object.body);
  }
}
