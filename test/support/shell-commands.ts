/**
 * The simple commands of a shell snippet as the docs show them, for checking the ones that are not
 * run: lines joined at a trailing `\`, split into words (quotes kept whole), cut at `&&`, `||`, `;`,
 * `|` and parentheses, redirections dropped, and what may come before a command taken off (a
 * crontab's schedule, a `#` that comments a crontab line out, environment assignments, `sudo`).
 * Not a shell: enough for the commands of a README.
 */
export interface SimpleCommand {
  /** The line it starts on, from 1 within the snippet. */
  line: number;
  words: string[];
}

const OPERATORS = new Set(["&&", "||", ";", "|", "(", ")", "&"]);
const REDIRECTIONS = /^\d*(>>|>|<)(&\d+)?$/;
const CRON_FIELD = /^[\d*/,-]+$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Splits one logical line into words and operators; a `#` that starts a word ends the line. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let started = false;
  const flush = () => {
    if (started) words.push(word);
    word = "";
    started = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unclosed ${c} in: ${line}`);
      word += line.slice(i + 1, end);
      started = true;
      i = end;
    } else if (c === "$" && line[i + 1] === "(") {
      // A command substitution is one word here: its inside is not a command of ours.
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === "(") depth++;
        else if (line[j] === ")" && --depth === 0) break;
      }
      word += line.slice(i, j + 1);
      started = true;
      i = j;
    } else if (/\s/.test(c)) {
      flush();
    } else if (c === "#" && !started) {
      break;
    } else if ("&|;()<>".includes(c)) {
      flush();
      let op = c;
      // `&&`, `||`, `>>`: an operator is at most two characters here.
      while (op.length < 2 && i + 1 < line.length && "&|>".includes(line[i + 1])) op += line[++i];
      words.push(op);
    } else {
      word += c;
      started = true;
    }
  }
  flush();
  return words;
}

/** Every simple command of a snippet, with what may precede a command taken off. */
export function simpleCommands(snippet: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  const lines = snippet.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i];
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i]}`;
    // A crontab line shown commented out (`# 0 3 * * *  command`) is still a command to check.
    const uncommented = text.replace(/^\s*#\s*(?=[\d*@])/, "");
    let current: string[] = [];
    const words = shellWords(uncommented);
    for (let w = 0; w <= words.length; w++) {
      const word = words[w];
      if (word === undefined || OPERATORS.has(word)) {
        if (current.length > 0) commands.push({ line: start + 1, words: stripPrefix(current) });
        current = [];
      } else if (REDIRECTIONS.test(word)) {
        w++;
      } else {
        current.push(word);
      }
    }
  }
  return commands.filter((command) => command.words.length > 0);
}

function stripPrefix(words: string[]): string[] {
  let rest = words;
  if (rest.length > 5 && rest.slice(0, 5).every((word) => CRON_FIELD.test(word))) rest = rest.slice(5);
  else if (rest[0]?.startsWith("@")) rest = rest.slice(1);
  for (;;) {
    if (rest.length > 0 && ASSIGNMENT.test(rest[0])) rest = rest.slice(1);
    else if (rest[0] === "sudo") {
      rest = rest.slice(1);
      while (rest[0]?.startsWith("-")) rest = rest.slice(rest[0] === "-u" ? 2 : 1);
    } else return rest;
  }
}
