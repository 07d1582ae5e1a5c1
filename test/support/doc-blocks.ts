import * as fs from "node:fs";

/**
 * The fenced blocks, headings and links of a Markdown file, as the docs test needs them: a block
 * with its language, its first line's number and the marker on the line before it
 * (`<!-- not run: why -->`, `<!-- exits 2 -->`; see docs/development.md).
 */
export interface DocBlock {
  file: string;
  /** The line of the opening fence, from 1. */
  line: number;
  lang: string;
  body: string;
  /** Why it is not run, when marked so. */
  notRun: string | null;
  /** The exit status it must end with (0 unless marked). */
  exits: number;
}

const FENCE = /^(\s*)(`{3,})\s*([\w-]*)\s*$/;
const MARKER = /^<!--\s*(?:not run:\s*(.+?)|exits\s+(\d+))\s*-->$/;

export function readDocBlocks(file: string, text = fs.readFileSync(file, "utf8")): DocBlock[] {
  const lines = text.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const fence = open[2];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== fence) body.push(lines[j++]);
    if (j === lines.length) throw new Error(`${file}:${i + 1}: a code block is never closed`);
    let previous = i - 1;
    while (previous >= 0 && lines[previous].trim() === "") previous--;
    const marker = previous >= 0 ? MARKER.exec(lines[previous].trim()) : null;
    blocks.push({
      file,
      line: i + 1,
      lang: open[3],
      body: body.join("\n"),
      notRun: marker?.[1] ?? null,
      exits: marker?.[2] === undefined ? 0 : Number(marker[2]),
    });
    i = j;
  }
  return blocks;
}

/** The Markdown text outside fenced blocks, line numbers kept (fenced lines become empty). */
export function proseOf(text: string): string[] {
  const lines = text.split("\n");
  let fence: string | null = null;
  return lines.map((line) => {
    const open = FENCE.exec(line);
    if (fence === null && open !== null) {
      fence = open[2];
      return "";
    }
    if (fence !== null) {
      if (line.trim() === fence) fence = null;
      return "";
    }
    return line;
  });
}

/** The anchors GitHub gives a file's headings (github-slugger: lower case, punctuation dropped, spaces to -). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseOf(text)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const plain = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[`*]/g, "");
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every relative link of the prose: `[text](target)` and `![alt](target)`, with its line. */
export function relativeLinks(text: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  proseOf(text).forEach((line, index) => {
    // Code spans may hold brackets that are not links.
    const outsideCode = line.replace(/`[^`]*`/g, "");
    for (const match of outsideCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/i.test(match[1])) links.push({ line: index + 1, target: match[1] });
    }
  });
  return links;
}
