"""Answers written the way chat models write them, with the structure each must render to.

Each entry: a name, the Markdown, and the elements its HTML must contain ("tag" or "tag.class": count).
Written for tasks/tests/test_markdown.py: no blank line before lists and tables, nested lists at the
item's own indentation (2 or 3 spaces), code in several languages, LaTeX in both delimiter styles,
prices next to math, Chinese.
"""

CORPUS: list[tuple[str, str, dict[str, int]]] = [
    (
        "python steps, nested lists without blank lines",
        """Here's how to read a CSV file in Python:
1. **Import the module**
   - `csv` ships with Python
   - `pandas` is faster for big files
2. **Open the file** and loop over the rows
(the fence at the margin ends the list, as CommonMark says; the next item restarts it at 3):
```python
import csv

with open("data.csv", newline="") as f:
    for row in csv.DictReader(f):
        print(row["name"], int(row["age"]) + 1)
```
3. Close nothing by hand: `with` does it.
That's it!""",
        {"ol": 2, "ol[start=3]": 1, "ol > li": 3, "ul > li": 2, "pre.highlight": 1, "span.kn": 1, "span.s2": 4},
    ),
    (
        "comparison table right after a sentence",
        """Here is a quick comparison:
| Feature | `list` | `tuple` |
|:--------|:------:|--------:|
| Mutable | **yes** | no |
| Hashable | no | *yes* |
| Typical use | growing collections | fixed records |
In short, use a tuple when the data should not change.""",
        {"table": 1, "thead tr": 1, "tbody tr": 3, "th.align-left": 1, "td.align-center": 3, "td.align-right": 3},
    ),
    (
        "demo table with an empty corner cell",
        """| | Process | Thread |
|---|---|---|
| Memory | isolated | shared with sibling threads |
| A crash… | usually stays in that process | can take down the whole process |""",
        {"table": 1, "th": 3, "td": 6},
    ),
    (
        "gpt-style math with brackets",
        r"""To solve the quadratic equation \( ax^2 + bx + c = 0 \), use the quadratic formula:
\[
x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}
\]
For \( x^2 - 5x + 6 = 0 \):
1. Identify \( a = 1 \), \( b = -5 \), \( c = 6 \).
2. Compute the discriminant: \( \Delta = 25 - 24 = 1 \).
3. So \( x = 2 \) or \( x = 3 \).""",
        {"math": 9, "div.math-block": 1, "mfrac": 1, "msqrt": 1, "ol > li": 3},
    ),
    (
        "dollar math next to prices",
        r"""A coffee costs $5 and a sandwich $10, so lunch is $15.
If the price grows by $r$ per cent a year, after $n$ years it is
$$
P_n = P_0 \left(1 + \frac{r}{100}\right)^n
$$
With $P_0 = 5$ and $r = 3$: about $6.72 after ten years.""",
        {"math": 5, "div.math-block": 1, "mfrac": 1},
    ),
    (
        "javascript, bash and sql, headings, star bullets",
        """### Step 1: install
```bash
npm install --save express
```
### Step 2: a server
```javascript
const express = require("express");
const app = express();
app.get("/", (req, res) => res.send("Hello"));
app.listen(3000);
```
### Step 3: the query
```sql
SELECT name, COUNT(*) AS n FROM users GROUP BY name HAVING n > 1;
```
Notes:
* the port is configurable
* run `node server.js` to start""",
        {"h3": 3, "pre.highlight": 3, "span.kd": 2, "span.k": 7, "ul > li": 2},
    ),
    (
        "two-space nested bullets three deep",
        """Packing list:
- Clothes
  - shirts
  - socks
    - wool
    - cotton
- Documents
  - passport""",
        {"ul": 4, "li": 7, "ul ul ul": 1},
    ),
    (
        "chinese answer with list, table and math",
        r"""以下是解题步骤：
1. 设$x$为苹果的数量。
2. 根据题意，$2x + 3 = 11$，所以$x = 4$。
| 物品 | 单价 |
|---|---|
| 苹果 | ￥3 |
| 香蕉 | ￥2 |
**答案：** 4 个苹果。""",
        {"ol > li": 2, "math": 3, "table": 1, "tbody tr": 2, "strong": 1},
    ),
    (
        "task list, quote, strikethrough, rule",
        """Before you ship:
- [x] tests pass
- [ ] docs updated
> **Tip:** ~~never~~ rarely deploy on a Friday.

---
Done.""",
        {"ul > li": 2, "blockquote": 1, "s": 1, "hr": 1},
    ),
    (
        "rust with line-broken notes",
        """```rust
fn main() {
    let v: Vec<i32> = (1..=3).collect();
    println!("{:?}", v);
}
```
**Note:** `collect` needs a type.
**Tip:** use `iter()` to borrow.""",
        {"pre.highlight": 1, "span.kd": 1, "br": 1, "strong": 2},
    ),
    (
        "code fenced inside a list item, math in a table",
        r"""1. Install:
   ```bash
   pip install numpy
   ```
2. Check the identities:
| name | formula |
|---|---|
| Euler | $e^{i\pi} + 1 = 0$ |
| Pythagoras | $a^2 + b^2 = c^2$ |""",
        {"ol > li": 2, "li pre.highlight": 1, "table": 1, "td math": 2},
    ),
]

# A 2,000-character answer (the rater page's vote bar must stay in reach beside it).
LONG_ANSWER = (
    "Here is a step-by-step plan for a first marathon in sixteen weeks:\n"
    "1. **Weeks 1–4: base.** Run four times a week, all easy, building from 20 to 35 km in total. "
    "Keep the pace conversational; the goal is time on your feet, not speed.\n"
    "2. **Weeks 5–8: long run.** Add 2 km to the Sunday run each week up to 22 km, and one session of "
    "strides (6 × 20 s fast, full recovery) to keep your legs quick.\n"
    "3. **Weeks 9–12: specific work.** One tempo run a week at marathon pace (8–12 km) and a long run that "
    "peaks at 30–32 km in week 12. Practise drinking and eating on the move.\n"
    "4. **Weeks 13–16: taper.** Cut the volume by a quarter each week while keeping a little pace work, "
    "so you arrive rested.\n\n"
    "| week | long run | total |\n|---|---:|---:|\n| 4 | 14 km | 35 km |\n| 8 | 22 km | 45 km |\n"
    "| 12 | 32 km | 60 km |\n| 16 | race | — |\n\n"
    "A simple pace check: if your 10 km time is $t$ minutes, a realistic marathon time is about "
    "$4.67\\,t$ minutes, so a 55-minute 10 km suggests roughly 4 h 17 min.\n\n"
    "```python\ndef marathon_estimate(ten_k_minutes: float) -> float:\n    return 4.67 * ten_k_minutes\n```\n\n"
    "Common mistakes to avoid:\n"
    "- running every easy day too fast, which leaves nothing for the long run and the tempo session;\n"
    "- adding more than about ten per cent to the weekly distance, the classic route to shin splints;\n"
    "- trying new shoes, gels or breakfast on race day instead of during the long runs;\n"
    "  - rehearse the whole morning routine at least twice;\n"
    "- starting the race at the pace you hope for rather than the pace you trained for.\n\n"
    "On food: eat a normal, carbohydrate-rich diet, and in the last three days before the race lean a little "
    "more on rice, pasta and bread. During the race, take 30–60 g of carbohydrate per hour from the first hour, "
    "and drink to thirst rather than to a schedule; in hot weather add some salt to what you drink.\n\n"
    "Finally, sleep at least seven hours, replace your shoes after about 700 km, and treat any sharp pain "
    "as a reason to rest for a day or two, not to push through. Good luck, and enjoy the day!"
)
