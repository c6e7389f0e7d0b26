// tap.js: TAP lines and the closing "N passed, M failed[, K expected
// failures (...)][, U unexpectedly passed (...)]" line, the twin of Tap in
// test/clients/clientlib.py.  A check names what it needs; a check that needs
// a name listed in test/clients/missing-operations is an expected failure.
"use strict";
const fs = require("fs");
const path = require("path");

function readMissing() {
  const file = process.env.EWS_MISSING_OPERATIONS || path.join(__dirname, "..", "missing-operations");
  const names = new Set();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const name = line.split("#")[0].trim();
    if (name) names.add(name);
  }
  return names;
}

class Tap {
  constructor() {
    this.missing = readMissing();
    this.n = this.passed = this.failed = this.xfailTotal = this.xpassTotal = 0;
    this.xfail = new Map();
    this.xpass = new Map();
    this.alone = new Map(); // marker -> [passed, failed] of the checks it alone marks
  }

  check(cond, what, detail = "", needs = []) {
    this.n += 1;
    const marked = [...new Set(needs)].filter((x) => this.missing.has(x)).sort();
    if (marked.length) {
      if (marked.length === 1) {
        const a = this.alone.get(marked[0]) || [0, 0];
        a[cond ? 0 : 1] += 1;
        this.alone.set(marked[0], a);
      }
      const todo = ` # TODO needs ${marked.join(", ")}`;
      if (cond) {
        this.xpassTotal += 1;
        for (const m of marked) this.xpass.set(m, (this.xpass.get(m) || 0) + 1);
        console.log(`ok ${this.n} - ${what}${todo} (unexpectedly passed)`);
      } else {
        this.xfailTotal += 1;
        for (const m of marked) this.xfail.set(m, (this.xfail.get(m) || 0) + 1);
        console.log(`not ok ${this.n} - ${what}${todo}`);
      }
      return !!cond;
    }
    if (cond) {
      this.passed += 1;
      console.log(`ok ${this.n} - ${what}`);
    } else {
      this.failed += 1;
      console.log(`not ok ${this.n} - ${what}`);
      if (detail !== "") {
        const text = typeof detail === "string" ? detail : JSON.stringify(detail);
        console.log("#   " + String(text).slice(0, 3000).replace(/\n/g, "\n#   "));
      }
    }
    return !!cond;
  }

  // await fn(); its value, or null when it threw (printed as a comment unless
  // it needs something missing).  Not a check: the check after it looks at the value.
  async step(what, fn, needs = []) {
    try {
      return await fn();
    } catch (e) {
      if (!needs.some((x) => this.missing.has(x))) {
        console.log(`# ${what}: ` + String((e && (e.stack || e.message)) || e).slice(0, 2000).replace(/\n/g, "\n#   "));
      }
      return null;
    }
  }

  // a check whose body is fn() -> [cond, detail]; a throw fails it
  async guard(what, fn, needs = []) {
    let cond, detail;
    try {
      [cond, detail] = await fn();
    } catch (e) {
      cond = false;
      detail = String((e && (e.stack || e.message)) || e);
    }
    return this.check(cond, what, detail === undefined ? "" : detail, needs);
  }

  summary() {
    const parts = [`${this.passed} passed`, `${this.failed} failed`];
    const list = (m) => [...m.entries()].sort().map(([k, v]) => `${k}: ${v}`).join(", ");
    if (this.xfailTotal) parts.push(`${this.xfailTotal} expected failures (${list(this.xfail)})`);
    if (this.xpassTotal) parts.push(`${this.xpassTotal} unexpectedly passed (${list(this.xpass)})`);
    for (const [m, [ok, bad]] of [...this.alone.entries()].sort()) {
      if (ok && !bad) {
        console.log(`# every check that needs only ${m} of the missing ones passed: delete ${m} from test/clients/missing-operations`);
      }
    }
    console.log(parts.join(", "));
    return this.failed ? 1 : 0;
  }
}

module.exports = { Tap };
