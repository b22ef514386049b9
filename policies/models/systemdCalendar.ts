// systemd timers as systemd reads them (systemd.timer(5), systemd.time(7)): a timer's OnCalendar=
// lines (an empty one resets the list) and the unit it starts (Unit=, else the timer's own name with
// .service), and whether a calendar expression fires on every day. Expressions: the shorthands
// (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly/annually) and
// "[weekdays] [[year-]month-day] [hour:minute[:second]]" with `*`, lists `a,b`, ranges `a..b`
// and repetitions `a/step`; a day that does not exist (30 February) never comes.

export interface TimerSettings {
    readonly onCalendar: readonly string[];
    readonly unit?: string;
}

export function timerSettings(text: string): TimerSettings {
    let onCalendar: string[] = [];
    let unit: string | undefined;
    let section = "";
    for (const line of text.replace(/\\\n/g, " ").split("\n")) {
        const header = /^\s*\[(\w+)\]\s*$/.exec(line);
        if (header) section = header[1];
        const entry = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(line);
        if (!entry || section !== "Timer") continue;
        if (entry[1] === "OnCalendar") onCalendar = entry[2] === "" ? [] : [...onCalendar, entry[2]];
        if (entry[1] === "Unit") unit = entry[2];
    }
    return { onCalendar, unit };
}

const SHORTHANDS: Record<string, string> = {
    minutely: "*-*-* *:*:00", hourly: "*-*-* *:00:00", daily: "*-*-* 00:00:00", weekly: "Mon *-*-* 00:00:00",
    monthly: "*-*-01 00:00:00", quarterly: "*-01,04,07,10-01 00:00:00", semiannually: "*-01,07-01 00:00:00", yearly: "*-01-01 00:00:00", annually: "*-01-01 00:00:00",
};
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The values of one calendar field in [min, max]; undefined when it does not parse. */
function field(text: string, min: number, max: number): Set<number> | undefined {
    const values = new Set<number>();
    for (const part of text.split(",")) {
        const m = /^(\*|\d+)(?:\.\.(\d+))?(?:\/(\d+))?$/.exec(part);
        if (!m) return undefined;
        const start = m[1] === "*" ? min : Number(m[1]);
        const end = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? max : start;
        const step = m[3] !== undefined ? Number(m[3]) : 1;
        if (step < 1) return undefined;
        for (let v = start; v <= end; v += step) values.add(v);
    }
    return values;
}

/** The weekdays of a `Mon..Fri,Sun` field (0 = Sunday); undefined when it does not parse. */
function weekdays(text: string): Set<number> | undefined {
    const days = new Set<number>();
    for (const part of text.toLowerCase().split(",")) {
        const [a, b] = part.split("..").map((d) => WEEKDAYS.indexOf(d.slice(0, 3)));
        if (a < 0 || (b !== undefined && b < 0)) return undefined;
        for (let d = a; ; d = (d + 1) % 7) {
            days.add(d);
            if (b === undefined || d === b) break;
        }
    }
    return days;
}

/** The days (from `from`, for `days` days) on which the expression fires at least once; undefined when it does not parse. */
export function firingDays(expression: string, from = new Date(Date.UTC(2027, 0, 1)), days = 366): Date[] | undefined {
    const text = SHORTHANDS[expression.trim().toLowerCase()] ?? expression.trim();
    const words = text.split(/\s+/).filter((w) => !/^(UTC|[A-Z][a-z]+\/[A-Za-z_]+)$/.test(w));
    let dow: Set<number> | undefined = new Set([0, 1, 2, 3, 4, 5, 6]);
    if (words[0] && /^[A-Za-z]/.test(words[0])) dow = weekdays(words.shift()!);
    const date = words.find((w) => w.includes("-")) ?? "*-*-*";
    const time = words.find((w) => w.includes(":")) ?? "00:00:00";
    if (!dow || words.some((w) => !w.includes("-") && !w.includes(":"))) return undefined;
    const parts = date.split("-");
    const [y, mo, d] = parts.length === 3 ? parts : ["*", ...parts];
    const years = field(y, 1970, 2199);
    const months = field(mo, 1, 12);
    const monthDays = field(d, 1, 31);
    const [h, mi] = time.split(":");
    if (!years || !months || !monthDays || !field(h, 0, 23)?.size || !field(mi ?? "0", 0, 59)?.size) return undefined;
    const fired: Date[] = [];
    for (let i = 0; i < days; i++) {
        const day = new Date(from.getTime() + i * 86_400_000);
        if (years.has(day.getUTCFullYear()) && months.has(day.getUTCMonth() + 1) && monthDays.has(day.getUTCDate()) && dow.has(day.getUTCDay())) fired.push(day);
    }
    return fired;
}

/** Whether the timer's expressions, together, fire on every day of a year. */
export function firesEveryDay(expressions: readonly string[]): boolean {
    const days = new Set<number>();
    for (const e of expressions) for (const d of firingDays(e) ?? []) days.add(d.getTime());
    return days.size >= 366;
}
