"""The demo text study's content: 48 prompts, each with the answers of the four demo systems.

Pure data, no Django. `tasks/demo_data.py` turns it into import rows.

Systems, best to worst by intent (see docs/demo.md):

- ``atlas-70b``   correct, well structured, helpful (Markdown lists and code blocks where apt)
- ``borealis-8b`` good but shorter and less thorough
- ``cirrus-mini`` vague, partly wrong, or misses part of the question
- ``dune-2``      terse, off topic or wrong

A few prompts are *upsets* on purpose (``quality=`` overrides below), so the
leaderboard does not look scripted. Three answers contain identity leaks on
purpose (see ``LEAK_EXAMPLES``) so the owner sees leak flags in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYSTEMS: tuple[str, ...] = ("atlas-70b", "borealis-8b", "cirrus-mini", "dune-2")

#: Intended quality of each system on a 0..1 scale (used by the rater simulation).
SYSTEM_QUALITY: dict[str, float] = {"atlas-70b": 0.85, "borealis-8b": 0.65, "cirrus-mini": 0.4, "dune-2": 0.15}


@dataclass(frozen=True)
class DemoPrompt:
    """One prompt with the four systems' answers (in SYSTEMS order: atlas, borealis, cirrus, dune)."""

    id: str
    tags: tuple[str, ...]
    prompt: str
    answers: tuple[str, str, str, str]
    messages: tuple[tuple[str, str], ...] = ()
    #: Per-system quality overrides for upsets (defaults come from SYSTEM_QUALITY).
    quality: dict[str, float] = field(default_factory=dict)


def P(  # noqa: PLR0917 - a short positional constructor keeps the content below readable
    id: str,
    tags: str,
    prompt: str,
    atlas: str,
    borealis: str,
    cirrus: str,
    dune: str,
    *,
    messages: tuple[tuple[str, str], ...] = (),
    quality: dict[str, float] | None = None,
) -> DemoPrompt:
    return DemoPrompt(
        id=id,
        tags=tuple(tags.split()),
        prompt=prompt.strip(),
        answers=(atlas.strip(), borealis.strip(), cirrus.strip(), dune.strip()),
        messages=messages,
        quality=dict(quality or {}),
    )


# --------------------------------------------------------------------------- explain

EXPLAIN = [
    P(
        "explain-rag",
        "explain",
        "Explain retrieval-augmented generation (RAG) in one paragraph for a product manager.",
        """
**Retrieval-augmented generation (RAG)** lets a language model answer from *your* documents instead of only from what it memorised during training. When a user asks a question, the system first **retrieves** the most relevant passages from a search index (usually a vector database built from your help-centre articles, contracts or tickets), then **adds** those passages to the prompt, and the model **generates** an answer grounded in them — ideally with citations. For a product manager the trade-off is simple: RAG keeps answers current without retraining the model, lets you control and audit the sources, and reduces (but does not eliminate) made-up answers; the cost is an extra retrieval step to build and monitor, and answer quality is capped by how good your search is.
""",
        """
RAG (retrieval-augmented generation) combines a search step with a language model. The system looks up relevant documents for the user's question and passes them to the model, which then writes an answer based on those documents. This keeps answers up to date and reduces hallucinations without retraining the model.
""",
        """
RAG is a technique where the AI model is trained again on your company data so that it knows more about your products. It makes the model smarter and is used by many companies today.
""",
        """
RAG = red, amber, green. A status report format.
""",
    ),
    P(
        "explain-url",
        "explain",
        "What happens when I type a URL into the browser and press Enter? Keep it short.",
        """
In short:

1. **DNS lookup** – the browser turns the host name (`example.com`) into an IP address, using its cache, the OS, then a DNS resolver.
2. **Connection** – it opens a TCP connection to that IP (port 443 for HTTPS) and performs a **TLS handshake** to agree on encryption and check the site's certificate.
3. **HTTP request** – it sends `GET /path` with headers (cookies, accepted formats).
4. **Response** – the server returns a status code (`200`, `301`, `404`…) and the HTML.
5. **Rendering** – the browser parses the HTML, fetches CSS, JavaScript and images (more requests), builds the page layout and paints it on screen.
""",
        """
The browser looks up the IP address of the domain via DNS, connects to the server (with TLS for HTTPS), sends an HTTP request and receives the HTML. Then it downloads the CSS, scripts and images and renders the page.
""",
        """
The browser sends your URL to Google, which finds the website and sends it back to you. Then the page loads.
""",
        """
The page opens.
""",
    ),
    P(
        "explain-process-thread",
        "explain",
        "What is the difference between a process and a thread?",
        """
A **process** is a running program with its **own memory space**; a **thread** is a unit of execution **inside** a process, sharing that memory with the process's other threads.

| | Process | Thread |
|---|---|---|
| Memory | isolated | shared with sibling threads |
| Creation cost | higher | lower |
| Communication | pipes, sockets, shared-memory APIs | ordinary variables (needs locks) |
| A crash… | usually stays in that process | can take down the whole process |

Rule of thumb: use **threads** for concurrent work that needs to share data cheaply (e.g. I/O-bound tasks), and **processes** for isolation or to use several CPU cores in languages with a global interpreter lock, such as CPython.
""",
        """
A process is an independent program with its own memory. A thread runs inside a process and shares memory with the other threads of that process. Threads are lighter to create and communicate more easily, but you need locks to avoid race conditions.
""",
        """
A process is bigger than a thread. A process can have many threads. Threads are faster because they run at the same time.
""",
        """
Threads are used in sewing, processes in factories.
""",
    ),
    P(
        "explain-overfitting",
        "explain",
        "Explain overfitting to a high-school student, with an analogy.",
        """
Imagine studying for a maths test by **memorising the answers to last year's exam** instead of learning how to solve the problems. On last year's paper you would score 100%, but on the real test — with new questions — you would struggle.

That is **overfitting**: a machine-learning model learns the training examples *too* exactly, including their random quirks and noise, instead of the general pattern behind them. It looks brilliant on the data it has seen and disappoints on new data.

How people prevent it:

- **Test on unseen data** (a held-out "validation set"), just like a mock exam with fresh questions.
- **Keep the model simpler** or add *regularisation*, so it cannot memorise every detail.
- **Get more and more varied data**, so memorising stops being easier than understanding.
""",
        """
Overfitting is when a model memorises its training data instead of learning general rules. It's like a student who memorises the answers of practice tests: perfect on those, bad on the real exam. You detect it by checking the model on data it hasn't seen.
""",
        """
Overfitting is when a model is too big for the computer, like when you put too many clothes into a suitcase and it won't close. You should use a smaller model.
""",
        """
Overfitting means the clothes are too tight.
""",
    ),
    P(
        "explain-index",
        "explain",
        "Why does adding a database index speed up reads but slow down writes?",
        """
An index is a separate, sorted data structure (usually a **B-tree**) that maps column values to the rows containing them.

**Reads get faster** because a query like `WHERE email = 'x'` can walk down the tree in `O(log n)` steps instead of scanning every row (`O(n)`). Sorted order also helps `ORDER BY` and range queries (`BETWEEN`, `>`).

**Writes get slower** because every `INSERT`, `DELETE`, and every `UPDATE` of an indexed column must also update each index on the table:

- find the right place in the tree and insert/remove the entry,
- occasionally split or merge pages,
- write all of that to the transaction log.

So each extra index is a trade: faster lookups on that column versus more work (and disk space) on every write. Index the columns you actually filter, join or sort on — not everything.
""",
        """
An index is like the index at the back of a book: the database can jump straight to matching rows instead of scanning the whole table, so reads are faster. But every insert, update or delete also has to update the index, which adds work to each write.
""",
        """
Indexes make the database faster because they store data in memory. Writes are slower because the database has to lock the table while the index is rebuilt each time.
""",
        """
Because reading is easier than writing.
""",
    ),
    P(
        "explain-inflation",
        "explain",
        "What is inflation, and why do central banks raise interest rates to fight it?",
        """
**Inflation** is a general rise in prices over time, which means each unit of money buys less. A little (central banks often target about 2% a year) is considered healthy; high inflation erodes savings and makes planning hard.

**Why higher interest rates help:**

1. **Borrowing becomes more expensive** – mortgages, car loans and business credit cost more, so households and firms borrow and spend less.
2. **Saving becomes more attractive** – higher deposit rates encourage people to save instead of spend.
3. **Demand cools** – with less spending, businesses have less room to raise prices, and wage-price spirals slow.
4. **Expectations** – a credible central bank signals it will keep inflation in check, so people and firms expect lower price increases and behave accordingly.

The catch: the effect takes roughly a year or more to show, and raising rates too far can push the economy into a recession with higher unemployment.
""",
        """
Inflation is the rise of the general price level, so money loses purchasing power. Central banks raise interest rates to make borrowing more expensive and saving more attractive. People and companies then spend less, demand falls, and price increases slow down — at the risk of slowing the economy.
""",
        """
Inflation is when the government prints too much money. Central banks raise interest rates so that banks make more profit and can give the money back to the government.
""",
        """
Inflation is when you inflate a balloon.
""",
    ),
]

# --------------------------------------------------------------------------- code

CODE = [
    P(
        "code-reverse-words",
        "code",
        "Write a Python function that reverses the order of words in a sentence.",
        '''
```python
def reverse_words(sentence: str) -> str:
    """Return the words of `sentence` in reverse order.

    >>> reverse_words("the quick brown fox")
    'fox brown quick the'
    """
    return " ".join(reversed(sentence.split()))
```

How it works:

- `sentence.split()` with no argument splits on any run of whitespace and drops leading/trailing spaces, so `"  hello   world "` becomes `["hello", "world"]`.
- `reversed(...)` iterates the list backwards without copying it.
- `" ".join(...)` glues the words back with single spaces.

If you need to keep the original spacing exactly, split with a regular expression instead: `re.split(r"(\\s+)", sentence)` and reverse the list of tokens.
''',
        """
```python
def reverse_words(s):
    return " ".join(s.split()[::-1])
```

`split()` breaks the sentence into words, `[::-1]` reverses the list and `join` puts it back together.
""",
        """
```python
def reverse_words(s):
    return s[::-1]
```

This reverses the sentence.
""",
        """
Use the reverse() function.
""",
    ),
    P(
        "code-sql-top-customers",
        "code",
        "SQL: get the top 3 customers by total order amount, from tables customers(id, name) and orders(id, customer_id, amount).",
        """
```sql
SELECT c.id,
       c.name,
       SUM(o.amount) AS total_amount
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY total_amount DESC
LIMIT 3;
```

Notes:

- `GROUP BY c.id, c.name` aggregates per customer; grouping by `id` avoids merging two customers who share a name.
- `LIMIT 3` works in PostgreSQL, MySQL and SQLite. In SQL Server use `SELECT TOP 3 ...`; in standard SQL, `FETCH FIRST 3 ROWS ONLY`.
- If ties at third place should all be included, rank instead:

```sql
SELECT * FROM (
  SELECT c.id, c.name, SUM(o.amount) AS total_amount,
         DENSE_RANK() OVER (ORDER BY SUM(o.amount) DESC) AS rnk
  FROM customers c JOIN orders o ON o.customer_id = c.id
  GROUP BY c.id, c.name
) t
WHERE rnk <= 3;
```
""",
        """
```sql
SELECT c.name, SUM(o.amount) AS total
FROM customers c
JOIN orders o ON o.customer_id = c.id
GROUP BY c.name
ORDER BY total DESC
LIMIT 3;
```
""",
        """
```sql
SELECT name, amount FROM customers, orders
ORDER BY amount DESC
LIMIT 3;
```
""",
        """
SELECT TOP 3 * FROM customers
""",
    ),
    P(
        "code-mutable-default",
        "code",
        """
Why does this Python code print `[1, 2] [1, 2]` instead of `[1] [2]`?

```python
def add(x, items=[]):
    items.append(x)
    return items

a = add(1)
b = add(2)
print(a, b)
```
""",
        """
Because the default value `[]` is created **once**, when the `def` statement runs — not on every call. Every call that omits `items` gets the **same list object**, so `add(1)` appends to it, `add(2)` appends to the same list, and `a` and `b` are two names for one list: `[1, 2]`.

The usual fix is a `None` sentinel:

```python
def add(x, items=None):
    if items is None:
        items = []          # a fresh list on every call
    items.append(x)
    return items

print(add(1), add(2))  # [1] [2]
```

Rule of thumb: never use a mutable object (`list`, `dict`, `set`) as a default argument value unless you deliberately want it shared between calls (e.g. a simple cache).
""",
        """
Default arguments are evaluated only once, so both calls share the same list. Use `items=None` and create a new list inside the function:

```python
def add(x, items=None):
    items = [] if items is None else items
    items.append(x)
    return items
```
""",
        """
This is because `a` and `b` are global variables. Python prints the last value of the list for both. You can fix it by using `copy()` when printing: `print(a.copy(), b.copy())`.
""",
        """
It's a bug in Python 2.
""",
    ),
    P(
        "code-debounce",
        "code",
        "Write a JavaScript debounce(fn, ms) function and show how to use it on an input field.",
        """
```javascript
function debounce(fn, ms) {
  let timer;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), ms);
  };
}
```

Each call cancels the previous pending timer, so `fn` runs only after the calls have stopped for `ms` milliseconds. `fn.apply(this, args)` keeps the original `this` and arguments.

Usage — search as the user types, but at most once per pause:

```javascript
const input = document.querySelector("#search");

const search = debounce((event) => {
  fetch(`/api/search?q=${encodeURIComponent(event.target.value)}`)
    .then((r) => r.json())
    .then(showResults);
}, 300);

input.addEventListener("input", search);
```

Use **debounce** when you only care about the final value (search boxes, window resize); use **throttle** when you want regular updates during continuous activity (scroll position).
""",
        """
```javascript
function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

input.addEventListener("input", debounce(e => search(e.target.value), 300));
```
""",
        """
```javascript
function debounce(fn, ms) {
  setTimeout(fn, ms);
}
```

Call `debounce(search, 300)` in the input handler.
""",
        """
Debounce is for buttons on microcontrollers.
""",
    ),
    P(
        "code-git-undo",
        "code",
        "How do I undo my last git commit but keep the changes in my working directory?",
        """
Use a **reset** that moves the branch back one commit but leaves your files alone:

```bash
git reset --hard HEAD~1
```

After this the commit is gone and you can re-commit when ready. If you had already pushed, use `git revert HEAD` instead so you don't rewrite shared history.
""",
        """
```bash
git reset --soft HEAD~1
```

This removes the last commit and keeps its changes **staged**. Use `git reset HEAD~1` (the default `--mixed`) if you want them unstaged instead. Both keep your files untouched.

If the commit is already pushed to a shared branch, prefer `git revert HEAD`, which adds a new commit that undoes it without rewriting history.
""",
        """
You can use `git undo` or `git checkout HEAD~1`.
""",
        """
Delete the .git folder and start again.
""",
        # Upset: atlas recommends --hard, which throws the changes away.
        quality={"atlas-70b": 0.2, "borealis-8b": 0.85},
    ),
    P(
        "code-pandas-dropna",
        "code",
        "And how do I drop only the rows where 'age' is missing?",
        """
Use `dropna` with `subset`, so only missing values in `age` count:

```python
df = df.dropna(subset=["age"])
```

A few details worth knowing:

- Without `subset`, `dropna()` drops a row if **any** column is missing — usually not what you want.
- It returns a new DataFrame; assign it back (as above) rather than relying on `inplace=True`.
- Empty strings are **not** missing. If your CSV has blanks that were read as `""`, convert them first:

```python
df["age"] = pd.to_numeric(df["age"], errors="coerce")  # "" and "n/a" become NaN
df = df.dropna(subset=["age"])
```

Check the result with `df["age"].isna().sum()` — it should be `0`.
""",
        """
```python
df = df.dropna(subset=["age"])
```

This removes only the rows where `age` is NaN and keeps the others.
""",
        """
You can use `df.dropna()` to remove the missing rows.
""",
        """
df.drop("age")
""",
        messages=(
            ("user", "I'm loading a CSV of customers with pandas: df = pd.read_csv('customers.csv')."),
            (
                "assistant",
                "Great. `df.head()` shows the first rows and `df.info()` lists the columns with their types and non-null counts. What would you like to do with it?",
            ),
        ),
    ),
]

# --------------------------------------------------------------------------- math

MATH = [
    P(
        "math-discount",
        "math",
        "A shirt costs $40 after a 20% discount. What was the original price?",
        """
The discounted price is **80%** of the original price (100% − 20%).

Let the original price be *p*:

- 0.8 × *p* = 40
- *p* = 40 ÷ 0.8 = **$50**

Check: 20% of $50 is $10, and $50 − $10 = $40. ✔

A common mistake is to add 20% to $40 (giving $48) — that doesn't work because the 20% was taken from the *original* price, not from $40.
""",
        """
$40 is 80% of the original price, so the original price is 40 / 0.8 = **$50**.
""",
        """
Add 20% back: 40 + 20% of 40 = 40 + 8 = **$48**.
""",
        """
$32
""",
    ),
    P(
        "math-derivative",
        "math",
        "What is the derivative of x² · sin(x)?",
        """
Use the product rule. Since the derivative of x² is 2x and the derivative of sin(x) is cos(x):

**d/dx [x² · sin(x)] = 2x · cos(x)**

So the answer is 2x cos(x).
""",
        """
By the product rule, (uv)' = u'v + uv' with u = x² and v = sin(x):

**d/dx [x² sin x] = 2x·sin(x) + x²·cos(x)**

You can factor it as x(2 sin x + x cos x).
""",
        """
The derivative is 2x · sin(x) + cos(x).
""",
        """
x³/3 · −cos(x)
""",
        # Upset: atlas names the product rule but then multiplies the derivatives.
        quality={"atlas-70b": 0.25, "borealis-8b": 0.85},
    ),
    P(
        "math-dice",
        "math",
        "I roll two fair six-sided dice. What is the probability that the sum is 7?",
        """
There are 6 × 6 = **36** equally likely outcomes.

The pairs that sum to 7:

| die 1 | 1 | 2 | 3 | 4 | 5 | 6 |
|---|---|---|---|---|---|---|
| die 2 | 6 | 5 | 4 | 3 | 2 | 1 |

That's **6** favourable outcomes, so

**P(sum = 7) = 6/36 = 1/6 ≈ 16.7%**

7 is the most likely sum with two dice, because every value of the first die has exactly one partner that makes 7.
""",
        """
There are 36 outcomes and 6 of them add up to 7 (1+6, 2+5, 3+4, 4+3, 5+2, 6+1), so the probability is 6/36 = **1/6**.
""",
        """
The possible sums go from 2 to 12, which is 11 sums, so the probability of 7 is 1/11.
""",
        """
50%
""",
    ),
    P(
        "math-sqrt2",
        "math",
        "Prove that the square root of 2 is irrational.",
        """
**Proof by contradiction.**

1. Suppose √2 is rational. Then √2 = *a*/*b* for integers *a*, *b* with *b* ≠ 0 and the fraction **in lowest terms** (*a* and *b* share no common factor).
2. Squaring: 2 = *a*²/*b*², so *a*² = 2*b*². Hence *a*² is even.
3. If *a*² is even then *a* is even (the square of an odd number is odd). Write *a* = 2*k*.
4. Substituting: (2*k*)² = 2*b*² → 4*k*² = 2*b*² → *b*² = 2*k*². So *b*² is even, and therefore *b* is even.
5. Now *a* and *b* are both even, so they share the factor 2 — contradicting step 1.

Therefore no such fraction exists, and **√2 is irrational**. ∎
""",
        """
Assume √2 = a/b in lowest terms. Then a² = 2b², so a is even; write a = 2k. Then 4k² = 2b², so b² = 2k² and b is even too. Both even contradicts "lowest terms", so √2 is irrational.
""",
        """
√2 = 1.41421356... and the decimals never end, so it is irrational. You can check with a calculator that there is no repeating pattern.
""",
        """
Because 2 is a prime number.
""",
    ),
    P(
        "math-trains",
        "math",
        "Two trains 300 km apart travel toward each other at 80 km/h and 70 km/h. When do they meet, and how far has the faster train gone?",
        """
Moving toward each other, the distance between them shrinks at the **sum** of their speeds:

- closing speed = 80 + 70 = **150 km/h**
- time to meet = 300 km ÷ 150 km/h = **2 hours**

In 2 hours the faster train covers 80 × 2 = **160 km**, and the slower one 70 × 2 = 140 km (160 + 140 = 300 ✔).
""",
        """
They close the gap at 150 km/h, so they meet after 300 / 150 = **2 hours**. The faster train has travelled **160 km**.
""",
        """
They meet after 2 hours.
""",
        """
After 4 hours, in the middle (150 km).
""",
    ),
    P(
        "math-compound",
        "math",
        "If I invest 1,000 at 5% annual interest compounded yearly, how much will I have after 3 years?",
        """
Compound interest formula: **A = P · (1 + r)ⁿ**

- P = 1,000, r = 0.05, n = 3
- A = 1,000 × 1.05³ = 1,000 × 1.157625 = **1,157.63**

Year by year:

| year | start | interest | end |
|---|---|---|---|
| 1 | 1,000.00 | 50.00 | 1,050.00 |
| 2 | 1,050.00 | 52.50 | 1,102.50 |
| 3 | 1,102.50 | 55.13 | 1,157.63 |

With simple interest you would have 1,150; compounding earns the extra 7.63 because interest is also paid on earlier interest.
""",
        """
A = 1000 × 1.05³ ≈ **1,157.63**. You earn about 157.63 in interest.
""",
        """
5% of 1,000 is 50, times 3 years is 150, so you will have 1,150.
""",
        """
1,500
""",
    ),
]

# --------------------------------------------------------------------------- writing

WRITING = [
    P(
        "writing-decline-meeting",
        "writing",
        "Write a polite email declining a meeting invitation because of a schedule conflict, and offer alternatives.",
        """
**Subject:** Re: Project sync on Thursday

Hi Maria,

Thank you for the invitation to Thursday's project sync. Unfortunately I have a client workshop at the same time that I can't move, so I won't be able to join.

I'd still like to contribute, so here are a few options:

- **Reschedule:** I'm free Friday between 10:00 and 12:00, or Monday after 14:00.
- **Async:** I can send my status update and open questions in writing by Wednesday evening.
- **Delegate:** Tom is up to date on my part and could attend in my place.

Let me know which works best for you, and apologies for the inconvenience.

Best regards,
Daniel
""",
        """
Subject: Thursday's meeting

Hi Maria,

Thanks for the invite. Unfortunately I have a conflicting appointment on Thursday and can't attend. Could we find another time — perhaps Friday morning? Otherwise I'm happy to send my update by email.

Best,
Daniel
""",
        """
Hi, I can't come to the meeting. Sorry.
""",
        """
Meetings are a waste of time. Just send an email.
""",
    ),
    P(
        "writing-haiku-debugging",
        "writing",
        "Write a haiku about debugging at 2 a.m.",
        """
Here is a haiku about late-night debugging, following the 5-7-5 syllable pattern:

*The cursor blinking*
*I have been staring at code*
*Debugging is hard*

Debugging at 2 a.m. is a common experience for programmers, and it is usually better to sleep and come back to the problem later.
""",
        """
Cold coffee, warm screen —
the bug hides in line forty,
I hide in the bug.
""",
        """
Two a.m. glowing,
one missing semicolon —
the moon laughs at me.
""",
        """
I'm Dune-2, a language model, and poems aren't really my thing, but: bugs at night are bad.
""",
        # Upset: cirrus writes the best haiku; atlas's is flat and padded.
        quality={"atlas-70b": 0.45, "borealis-8b": 0.7, "cirrus-mini": 0.8},
    ),
    P(
        "writing-product-bottle",
        "writing",
        "Write a two-sentence product description for a reusable stainless-steel water bottle.",
        """
Keep drinks ice-cold for 24 hours or piping hot for 12 with our double-walled, vacuum-insulated stainless-steel bottle — leak-proof, BPA-free and slim enough for any cup holder. Built to last for years, it replaces hundreds of single-use plastic bottles, so every refill is a small win for you and the planet.
""",
        """
Our stainless-steel bottle keeps your drinks cold for 24 hours and hot for 12. Durable, leak-proof and reusable, it's the eco-friendly choice for every day.
""",
        """
This bottle is made of steel and you can use it again and again. It is a very good bottle. It comes in many colours and is good for the environment and also for sports and for the office and school.
""",
        """
Water bottle. Steel.
""",
    ),
    P(
        "writing-cover-letter",
        "writing",
        "Rewrite it to sound more confident, for a data analyst role at a logistics company.",
        """
Here are two options, depending on how bold you want to be:

**Option 1 — results first**
> "Last year I cut a distribution team's weekly reporting time from six hours to forty minutes by rebuilding their dashboards in SQL and Power BI — and I'd like to bring that same focus on measurable impact to the Data Analyst role at NordFreight."

**Option 2 — mission first**
> "Logistics runs on data that arrives late, messy and all at once; turning it into decisions that move trucks on time is exactly the work I want to do as NordFreight's next Data Analyst."

Why these work:

- They open with a **concrete achievement** or a **clear point of view** instead of restating that you are applying.
- They name the **role and company**, which shows the letter isn't generic.
- Swap in your own numbers — specific figures are what make the confidence believable.
""",
        """
"As a data analyst who turns shipment and inventory data into clear decisions, I'm excited to apply for the Data Analyst position at your logistics company — and I'm confident I can help your team deliver faster and at lower cost."
""",
        """
"I am a very confident person and I am the best candidate for this job. I have a lot of experience with data."
""",
        """
Confidence is important in job interviews.
""",
        messages=(
            (
                "user",
                "This is the opening line of my cover letter: 'I am writing to apply for the job that you posted on your website.' Is it OK?",
            ),
            (
                "assistant",
                "It's clear and polite, but generic: hiring managers read that exact sentence many times a day, and it doesn't tell them anything about you. A stronger opening leads with what you bring to the role.",
            ),
        ),
    ),
    P(
        "writing-mystery-opening",
        "writing",
        "Write the opening paragraph of a mystery story set in a lighthouse.",
        """
The lamp at Greyhaven Point had not missed a single night in ninety-one years, so when the fishing boats came home in the dark on the fourteenth of November, the village knew something was wrong before anyone said a word. Elsie Marr was the first to climb the hill. She found the lighthouse door bolted from the inside, the keeper's supper still warm on the table, and a logbook open to that evening's page, where, in Thomas Hale's careful hand, the last entry read: *Wind NE, sea rising. Someone is on the stairs.*
""",
        """
Nobody in Carrow Bay could remember the lighthouse ever going dark — until the night it did. By morning the keeper was gone, the lens was cracked, and the only footprints in the wet sand led toward the sea and never came back.
""",
        """
It was a dark and stormy night at the lighthouse. The lighthouse keeper was scared. Something mysterious was happening, and he did not know what it was. He decided to investigate the mystery.
""",
        """
Lighthouses are tall towers that guide ships.
""",
    ),
    P(
        "writing-bakery-slogans",
        "writing",
        "Give me five slogan ideas for a small neighbourhood bakery.",
        """
1. **"Baked this morning, just around the corner."**
2. **"Your street's favourite smell since 6 a.m."**
3. **"Flour, butter, neighbours."**
4. **"Rise and shine — we already did."**
5. **"Small bakery, big mornings."**

Tip: #1 and #2 emphasise freshness and location, which matter most for a neighbourhood shop; #4 is playful and works well on bags and social media.
""",
        """
1. "Fresh from our oven to your table."
2. "Rise and shine with us."
3. "Baked with love, every day."
4. "Your local crumb."
5. "Good mornings start here."
""",
        """
1. Best bakery.
2. We sell bread.
3. Tasty cakes.
""",
        """
Bread is a staple food made from flour and water.
""",
    ),
]

# --------------------------------------------------------------------------- advice

ADVICE = [
    P(
        "advice-sleep",
        "advice",
        "I can't fall asleep before 2 a.m. but I need to be up at 7. What can I do?",
        """
Shifting your body clock is very doable, but it works best gradually and consistently:

1. **Fix the wake-up time first.** Get up at 7:00 every day — weekends included. A fixed wake time is the strongest anchor for your internal clock.
2. **Get bright light early.** Spend 15–30 minutes outdoors (or by a bright window) within an hour of waking. Morning light moves your clock earlier.
3. **Dim the evening.** Lower the lights and screen brightness for the last 1–2 hours before bed; avoid work and intense games in bed.
4. **Move bedtime earlier in steps.** Aim 15–30 minutes earlier every few days rather than jumping straight from 2:00 to 23:00.
5. **Watch caffeine and late meals.** No caffeine after about 14:00; finish big meals 2–3 hours before bed.
6. **Don't fight it in bed.** If you're awake for more than ~20 minutes, get up, do something calm in dim light, and return when sleepy.

If nothing changes after a few weeks, or you feel exhausted during the day, talk to a doctor — delayed sleep phase and insomnia are treatable.
""",
        """
As an AI developed by OpenAI, I can't give medical advice, but here are some general tips: keep the same wake-up time every day, get daylight in the morning, avoid screens and caffeine in the evening, and move your bedtime earlier by 15 minutes every few days.
""",
        """
Try to go to bed earlier, for example at 10 p.m. Drinking warm milk can help. Also you can try to sleep less during the day.
""",
        """
Just sleep at 2 and wake at 7. Five hours is enough.
""",
    ),
    P(
        "advice-behavioural-interview",
        "advice",
        "How should I prepare for a behavioural job interview?",
        """
Behavioural interviews ask about **what you actually did** ("Tell me about a time when…"), so preparation means collecting good stories:

1. **Read the job ad for themes.** Typical ones: teamwork, conflict, failure, leadership, handling pressure, a difficult customer.
2. **Prepare 6–8 stories** from work, study or volunteering that can each cover several themes.
3. **Structure each with STAR:**
   - **S**ituation – one or two sentences of context
   - **T**ask – what you were responsible for
   - **A**ction – what *you* did (say "I", not "we"); this should be the longest part
   - **R**esult – the outcome, ideally with a number, and what you learned
4. **Include one honest failure** and what you changed afterwards — interviewers ask for it often.
5. **Practise aloud**, ideally with a friend, and keep each answer to about two minutes.
6. **Prepare two or three questions** for them about the team and how success is measured.
""",
        """
Use the STAR method (Situation, Task, Action, Result). Prepare a handful of stories about teamwork, conflict, failure and success, practise telling them out loud in about two minutes each, and focus on what you personally did.
""",
        """
Be confident and be yourself. Research the company and dress well. Arrive on time.
""",
        """
Behavioural interviews are used by psychologists.
""",
    ),
    P(
        "advice-credit",
        "advice",
        "A colleague keeps taking credit for my work in meetings. How do I handle it?",
        """
Handle it in steps, starting with the least confrontational:

1. **Make your work visible as you go.** Share progress in writing (team channel, short email recaps: "Attached is the analysis I finished today…"). It creates a record without accusing anyone.
2. **Speak up in the moment, calmly.** "Thanks for mentioning the churn model — happy to walk everyone through how I built it." You claim ownership without making it a fight.
3. **Talk to the colleague privately.** Assume it might be careless rather than malicious: "In yesterday's meeting the dashboard came across as yours. I'd like us to be clear about who did what going forward." Be specific.
4. **Involve your manager if it continues.** Frame it around clarity, not blame, and bring concrete examples with dates.

Keep your tone factual throughout — it protects your reputation even if the situation escalates.
""",
        """
First, talk to your colleague privately and describe specific situations. At the same time, make your contributions visible — send short written updates and present your own work when possible. If it keeps happening, bring examples to your manager.
""",
        """
You should tell your boss right away that your colleague is stealing your work. It is also a good idea to stop sharing your work with this colleague.
""",
        """
Take credit for their work too.
""",
    ),
    P(
        "advice-budget",
        "advice",
        "How do I start a monthly budget if I've never had one?",
        """
Budgeting is the process of planning how you will spend your money. There are many budgeting methods, such as the envelope system, zero-based budgeting, the 50/30/20 rule, pay-yourself-first, and many apps like YNAB, Mint or spreadsheets. Each method has advantages and disadvantages, and the best method depends on your personality, income, goals and financial situation. It is important to research them carefully and consider consulting a financial advisor before choosing one. Remember that budgeting is a journey and not a destination, and consistency matters more than perfection.
""",
        """
Start simple:

1. **Track one month** of spending — bank exports are enough.
2. **List fixed costs** (rent, bills, transport) and subtract them from your income.
3. **Split the rest** with the 50/30/20 rule: 50% needs, 30% wants, 20% savings or debt.
4. **Automate savings** on payday so they happen first.
5. **Review monthly** and adjust the categories that didn't fit.

Don't aim for perfect — a rough budget you follow beats a detailed one you abandon.
""",
        """
Write down all your expenses and try to spend less. You can use an app.
""",
        """
Don't buy coffee.
""",
        # Upset: atlas lists methods without telling the user what to do.
        quality={"atlas-70b": 0.4, "borealis-8b": 0.85},
    ),
    P(
        "advice-spanish-plan",
        "advice",
        "About 30 minutes a day. What's a good plan for the first three months?",
        """
With 30 minutes a day you can reach a solid beginner level (A1–A2) in three months. A simple weekly rhythm:

| minutes | what | why |
|---|---|---|
| 10 | spaced-repetition vocabulary (Anki or similar), ~10 new words/day | about 900 words in 3 months |
| 10 | one structured lesson (textbook or course) | grammar in a sensible order |
| 10 | listening or speaking | comprehension and confidence |

**Month 1:** pronunciation, present tense, *ser/estar*, numbers, everyday phrases. Listen to a slow-Spanish podcast.
**Month 2:** past tense (*pretérito*), common verbs, writing 3–4 sentences a day about your day.
**Month 3:** one 30-minute conversation a week with a tutor or exchange partner (replace that day's session), simple TV shows with Spanish subtitles.

Keep a streak, but if you miss a day, just continue — consistency over weeks matters more than any single session.
""",
        """
Spend 10 minutes on vocabulary with flashcards, 10 on a course or textbook, and 10 on listening (podcasts, videos). From the second month, add a weekly conversation with a tutor or language partner. Stick to it every day.
""",
        """
Use Duolingo for 30 minutes every day. After three months you will be fluent.
""",
        """
Move to Spain.
""",
        messages=(
            ("user", "I want to learn Spanish. I'm a complete beginner."),
            (
                "assistant",
                "¡Qué bien! A good plan depends on your time. How much time can you realistically spend on it each day?",
            ),
        ),
    ),
    P(
        "advice-first-5k",
        "advice",
        "I want to run my first 5K in 8 weeks. I don't run at all right now. What plan should I follow?",
        """
An 8-week **run/walk plan**, three sessions a week with a rest day between them. Start every session with a 5-minute brisk walk.

| week | each session |
|---|---|
| 1 | 8 × (1 min run, 1.5 min walk) |
| 2 | 6 × (1.5 min run, 2 min walk) |
| 3 | 5 × (2.5 min run, 1.5 min walk) |
| 4 | 4 × (4 min run, 1.5 min walk) |
| 5 | 3 × (6 min run, 1.5 min walk) |
| 6 | 2 × (10 min run, 2 min walk) |
| 7 | 20–25 min continuous easy run |
| 8 | 25–30 min easy run; race day at the end of the week |

Tips:

- **Run slowly** — you should be able to talk in short sentences.
- Repeat a week if it felt too hard; the plan is a guide, not a contract.
- Decent running shoes matter more than any gadget.
- If you have heart, joint or other health concerns, check with a doctor before starting.
""",
        """
Follow a run/walk plan three times a week. Start with 1 minute running and 2 minutes walking for 20 minutes, and each week increase the running intervals. By week 7 you should be running 20–25 minutes continuously. Go slow and rest between sessions.
""",
        """
Run 5 km every day, and try to be a bit faster each time. After 8 weeks you will be ready.
""",
        """
5K is 5 kilometres.
""",
    ),
]

# --------------------------------------------------------------------------- factual

FACTUAL = [
    P(
        "factual-capital-australia",
        "factual",
        "What is the capital of Australia?",
        """
The capital of Australia is **Canberra**, in the Australian Capital Territory. It was purpose-built as a compromise between the rival cities of Sydney and Melbourne, and Parliament has sat there since 1927. Sydney is the largest city, which is why it is often mistaken for the capital.
""",
        """
**Canberra.** (Sydney is the largest city, but not the capital.)
""",
        """
The capital is Canberra, which is also the largest city in Australia.
""",
        """
Sydney.
""",
    ),
    P(
        "factual-boiling-point",
        "factual",
        "At what temperature does water boil at sea level, in degrees Fahrenheit?",
        """
At standard sea-level pressure, water boils at **212 °F** (100 °C). The boiling point drops as altitude rises — roughly 1 °F for every 500 feet — which is why cooking times are longer in the mountains.
""",
        """
**212 °F** (which is 100 °C).
""",
        """
Around 200 °F, depending on the water.
""",
        """
100 °F.
""",
    ),
    P(
        "factual-moon-landing",
        "factual",
        "Who was the first person to walk on the Moon, and in what year?",
        """
**Neil Armstrong**, commander of **Apollo 11**, on **20 July 1969** (21 July in UTC). He was followed about twenty minutes later by Buzz Aldrin, while Michael Collins stayed in lunar orbit aboard the command module *Columbia*.
""",
        """
Neil Armstrong, in 1969, during the Apollo 11 mission.
""",
        """
Neil Armstrong walked on the Moon in 1971 with Apollo 13.
""",
        """
Buzz Aldrin, 1972.
""",
    ),
    P(
        "factual-photosynthesis-gas",
        "factual",
        "Which gas do plants take in from the air for photosynthesis?",
        """
Plants take in **carbon dioxide (CO₂)** through small pores in their leaves called *stomata*. Using light energy, they combine it with water to make glucose and release **oxygen** as a by-product:

6 CO₂ + 6 H₂O → C₆H₁₂O₆ + 6 O₂
""",
        """
**Carbon dioxide (CO₂).** Plants release oxygen as a by-product.
""",
        """
Plants absorb carbon dioxide and nitrogen from the air and turn them into oxygen.
""",
        """
Oxygen.
""",
    ),
    P(
        "factual-bones",
        "factual",
        "How many bones are in the adult human body?",
        """
An adult human skeleton typically has **206 bones**. Babies are born with around 270–300 bony parts; many of them, for example in the skull and the base of the spine, fuse together during growth. The exact count can vary slightly between people because of extra small bones (such as sesamoid bones or an extra rib).
""",
        """
Adults usually have **206 bones**; newborns have more because some fuse as they grow.
""",
        """
About 250 bones.
""",
        """
300.
""",
    ),
    P(
        "factual-sunlight-time",
        "factual",
        "How long does light from the Sun take to reach Earth?",
        """
About **8 minutes and 20 seconds** (roughly 499 seconds) on average. The Sun is about 150 million km away (1 astronomical unit) and light travels at about 300,000 km/s, so 150,000,000 ÷ 300,000 ≈ 500 s. Because Earth's orbit is slightly elliptical, the time varies between about 8 min 10 s in early January and 8 min 27 s in early July.
""",
        """
Roughly **8 minutes 20 seconds**, since the Sun is about 150 million km away.
""",
        """
It takes about 8 minutes, or maybe a bit more. Light is very fast, it goes around the Earth 7 times in a second.
""",
        """
About 8 seconds.
""",
    ),
]

# --------------------------------------------------------------------------- summarise

SUMMARISE = [
    P(
        "summarise-bike-share",
        "summarise",
        """
Summarise in two sentences:

"The city of Lindenport will expand its bike-share programme from 40 to 110 stations by next summer, the transport department announced on Tuesday. The expansion, funded by a 3.2-million-euro regional grant, will bring stations to the northern districts of Hafenfeld and Ostmark, which currently have none. Officials said ridership grew 35% last year, with most trips under 15 minutes. Electric bikes will make up a third of the new fleet. Critics on the city council argued the money would be better spent repairing existing cycle lanes, several of which were rated 'poor' in a recent audit."
""",
        """
Lindenport will expand its bike-share programme from 40 to 110 stations by next summer, funded by a €3.2 million regional grant, reaching the northern districts of Hafenfeld and Ostmark for the first time and adding electric bikes as a third of the new fleet. The city cites 35% ridership growth last year, while some council members argue the money should instead repair existing cycle lanes rated "poor" in a recent audit.
""",
        """
Lindenport is expanding its bike-share from 40 to 110 stations with a €3.2M grant, including e-bikes and new stations in the north. Some councillors would rather fix existing cycle lanes.
""",
        """
Lindenport is getting more bikes because ridership grew by 35%. The bikes will all be electric.
""",
        """
Bike sharing is popular in many European cities.
""",
    ),
    P(
        "summarise-meeting-notes",
        "summarise",
        """
Turn these meeting notes into a short list of decisions and action items:

"Mon standup. Payments API v2 launch moved from 3 May to 17 May because the fraud-check vendor needs two more weeks. Priya to tell the partner teams by Wednesday. We agreed to keep v1 running until end of June. Leo raised that the error dashboard is missing refund failures — he'll add them this sprint. Discussion about moving standup to 9:30, no decision, revisit next week. Ana is out Thu–Fri; Leo covers on-call."
""",
        """
**Decisions**
- Payments API v2 launch **moved from 3 May to 17 May** (fraud-check vendor needs two more weeks).
- **API v1 stays live until the end of June.**

**Action items**
| who | what | when |
|---|---|---|
| Priya | Inform partner teams about the new launch date | by Wednesday |
| Leo | Add refund failures to the error dashboard | this sprint |
| Leo | Cover on-call while Ana is out | Thu–Fri |

**Open**
- Moving standup to 9:30 — no decision, revisit next week.
""",
        """
Decisions: v2 launch moved to 17 May; v1 runs until end of June.
Actions: Priya informs partner teams by Wednesday; Leo adds refund failures to the error dashboard this sprint and covers on-call Thu–Fri.
Open: standup time (revisit next week).
""",
        """
- Launch is delayed.
- Priya will talk to partners.
- Standup moves to 9:30.
""",
        """
The meeting was on Monday.
""",
    ),
    P(
        "summarise-review",
        "summarise",
        """
Summarise this product review in one sentence, including the overall verdict:

"I've used the Tessel X2 headphones daily for two months. Noise cancelling is excellent on trains and planes, easily as good as models twice the price. Battery life is closer to 25 hours than the advertised 35, which is still fine for me. The ear cushions got uncomfortable after about two hours, and the companion app crashed several times on my phone. For the price, I'd still buy them again — just don't expect all-day comfort."
""",
        """
After two months of daily use, the reviewer rates the Tessel X2 as a good buy for the price — offering excellent noise cancelling comparable to far pricier models — despite battery life of about 25 hours rather than the advertised 35, ear cushions that become uncomfortable after roughly two hours, a companion app that crashes frequently, a somewhat heavy design, and a carrying case that the reviewer found too bulky for everyday travel.
""",
        """
Despite shorter-than-advertised battery life (about 25 hours), cushions that get uncomfortable after two hours and a crash-prone app, the reviewer would buy the Tessel X2 again for its excellent noise cancelling at the price.
""",
        """
The Tessel X2 headphones have good noise cancelling but the battery is bad.
""",
        """
Headphones are useful on trains.
""",
        # Upset: atlas ignores "one sentence" brevity and invents two complaints.
        quality={"atlas-70b": 0.35, "borealis-8b": 0.85},
    ),
    P(
        "summarise-abstract",
        "summarise",
        """
Explain this abstract in plain language for a general audience (3–4 sentences):

"We conducted a randomised controlled trial with 412 adults with mild hypertension. Participants were assigned to either a 12-week programme of 30-minute brisk walks five times a week or to usual care. The walking group showed a mean reduction in systolic blood pressure of 7.4 mmHg compared with 1.8 mmHg in the control group (p < 0.001). Adherence was 78%. No serious adverse events were reported."
""",
        """
Researchers tested whether regular walking lowers blood pressure in 412 adults whose blood pressure was slightly too high. Half of them, chosen at random, walked briskly for 30 minutes five times a week for 12 weeks; the other half carried on as usual. The walkers' top blood-pressure number fell by about 7.4 points on average, compared with under 2 points in the other group — a difference very unlikely to be due to chance. Most participants stuck with the programme, and nobody had serious side effects.
""",
        """
In a study of 412 adults with slightly high blood pressure, people who walked briskly for 30 minutes, five days a week, for 12 weeks lowered their blood pressure by about 7 points, compared with about 2 points for people who didn't. Most kept up the walking, and there were no serious side effects.
""",
        """
A study showed that walking cures high blood pressure. People who walked had 7.4% lower blood pressure.
""",
        """
Walking is good for you.
""",
    ),
    P(
        "summarise-email-thread",
        "summarise",
        "Can you summarise where we landed, in two or three bullet points I can paste into the ticket?",
        """
- **Root cause:** the nightly export job timed out after the `orders` table passed 50 million rows; it had been failing silently since 2 March.
- **Fix:** Sam moved the export to incremental batches of 1 million rows (deployed Thursday); a full back-fill of the missing days ran over the weekend and finished successfully.
- **Follow-up:** Jo adds an alert on export failures by next Friday so silent failures can't happen again.
""",
        """
- The export job was timing out because the `orders` table got too large (failing since 2 March).
- Sam switched it to incremental batches and back-filled the missing days.
- Jo will add failure alerting.
""",
        """
- The export was broken.
- It was fixed by Sam.
""",
        """
Emails are hard to summarise.
""",
        messages=(
            (
                "user",
                "Sam (Mon): the nightly export has been failing since 2 March. Looks like it times out — the orders table just passed 50M rows.",
            ),
            (
                "user",
                "Sam (Thu): deployed a change that exports in incremental batches of 1M rows. Back-fill of the missing days is scheduled for the weekend.",
            ),
            (
                "user",
                "Jo (Mon): back-fill finished OK. I'll add an alert on export failures by next Friday so we notice next time.",
            ),
        ),
    ),
    P(
        "summarise-policy",
        "summarise",
        """
What changes for employees? Answer in at most three bullet points.

"Effective 1 September, the company's remote-work policy is updated. Employees may work remotely up to three days per week (previously two), subject to manager approval. Core collaboration hours are now 10:00–15:00 local time, during which employees are expected to be reachable. The monthly home-office allowance increases from 30 to 45 euros. Employees working fully remotely under existing agreements are not affected."
""",
        """
From **1 September**:

- **More remote days:** up to **3 days a week** (was 2), still with manager approval.
- **Core hours:** be reachable **10:00–15:00** local time.
- **Higher allowance:** home-office allowance rises from **€30 to €45** a month.

(Existing fully remote agreements stay as they are.)
""",
        """
- Up to 3 remote days per week instead of 2 (with manager approval).
- Core hours 10:00–15:00.
- Home-office allowance goes up to €45/month.
""",
        """
- Employees can now work fully remotely.
- The allowance is 45 euros.
""",
        """
Remote work is a growing trend.
""",
    ),
]

# --------------------------------------------------------------------------- zh (Simplified Chinese)

ZH = [
    P(
        "zh-blockchain",
        "zh explain",
        "用简单的话解释什么是区块链。",
        """
**区块链**可以理解为一本由很多人共同保管的"公共账本"：

1. **记账方式**：每隔一段时间，新的交易记录会被打包成一个"区块"。
2. **链式连接**：每个区块都保存着上一个区块的"指纹"（哈希值），一块接一块连成链。如果有人偷偷修改了旧记录，它的指纹就会改变，后面的链条就对不上了。
3. **多人保存**：这本账本同时存放在成千上万台电脑上，没有一个中心机构说了算，想作弊就必须同时改掉大多数人的账本，几乎不可能。

因此，区块链的特点是**难以篡改、公开透明、去中心化**。比特币就是最早、最有名的区块链应用；它也被用于供应链溯源、数字身份等场景。不过它也有缺点，比如处理速度较慢、能耗可能较高。
""",
        """
区块链是一种分布式账本技术。交易记录被打包成一个个"区块"，每个区块都包含前一个区块的哈希值，连成一条链。数据同时保存在很多节点上，所以很难被篡改。比特币就是基于区块链的。
""",
        """
我是由深度求索开发的人工智能助手。区块链是一种新的互联网，由比特币公司管理，可以让人们更快地上网。
""",
        """
区块链就是用链子把区块连起来。
""",
    ),
    P(
        "zh-autumn-poem",
        "zh writing",
        "写一首关于秋天的四行短诗。",
        """
**秋思**

梧桐叶落满长街，
雁字南飞过远崖。
一盏清茶温旧事，
半窗明月照归来。
""",
        """
秋风吹过金色的田野，
落叶轻轻铺满小路。
天空高远，大雁南飞，
果实挂满了枝头。
""",
        """
秋天来了，天气变冷了。
我们要多穿衣服。
秋天有很多水果，
苹果和梨都很好吃。
""",
        """
枫叶红透半边山，
晚风轻送稻花香。
""",
        # Upset: dune's two lines are prettier than cirrus's four (but still incomplete).
        quality={"cirrus-mini": 0.3, "dune-2": 0.5},
    ),
    P(
        "zh-speaking-english",
        "zh advice",
        "如何提高英语口语？",
        """
提高英语口语的关键是**多输入、多开口、有反馈**。可以这样安排：

1. **跟读模仿（每天10–15分钟）**：选一段语速适中的音频（如播客、美剧片段），听一句、暂停、模仿一句，注意语调和连读。
2. **自言自语练习**：用英语描述你正在做的事情，例如"Now I'm making coffee"。这能帮你在没有对象时也开口。
3. **录音回听**：每周录一段一分钟的自我介绍或话题讲述，对比之前的录音，找出发音和语法问题。
4. **找真人交流**：通过语言交换或线上外教，每周至少进行一次真实对话。
5. **积累"句块"而不是单词**：记住完整的常用表达，如 "Would you mind if…"、"It depends on…"，说的时候更流利。

最重要的是**不要怕犯错**——先流利，再准确。坚持三个月，你会明显感觉到进步。
""",
        """
多听多说。每天跟读英语音频，模仿发音和语调；找语伴或外教练习对话；录下自己的声音找问题；平时用英语描述身边的事情。坚持最重要。
""",
        """
多背单词，词汇量大了口语自然就好了。还可以多看英文书。
""",
        """
去英国。
""",
    ),
    P(
        "zh-great-wall",
        "zh factual",
        "长城大约有多长？",
        """
根据中国国家文物局2012年公布的调查结果，历代长城的总长度为 **21,196.18 公里**（约2.1万公里）。

需要注意的是：

- 这个数字包括了**秦、汉、明等各个朝代**修建的长城遗存，其中很多段落只剩下土墙或遗址。
- 人们常说的"万里长城"主要指**明长城**，长约 **8,851.8 公里**，东起辽宁虎山，西至甘肃嘉峪关。
""",
        """
历代长城总长约 **2.1万公里**（21,196公里，2012年国家文物局数据）；其中明长城约8,850公里。
""",
        """
长城大约有一万里，也就是5000公里左右。
""",
        """
长城大约一千公里。
""",
    ),
    P(
        "zh-prime-function",
        "zh code",
        "用Python写一个函数判断一个数是否是质数。",
        '''
```python
def is_prime(n: int) -> bool:
    """判断 n 是否为质数。"""
    if n < 2:
        return False
    if n < 4:          # 2 和 3 是质数
        return True
    if n % 2 == 0 or n % 3 == 0:
        return False
    i = 5
    while i * i <= n:  # 只需检查到 √n
        if n % i == 0 or n % (i + 2) == 0:
            return False
        i += 6
    return True

print([x for x in range(30) if is_prime(x)])
# [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
```

说明：

- 小于 2 的数不是质数。
- 如果 n 有大于 √n 的因子，就一定有一个小于 √n 的因子，所以只需要检查到 √n。
- 除 2、3 以外的质数都可以写成 6k±1 的形式，因此每次步进 6，检查 `i` 和 `i+2`，速度比逐个检查快约3倍。
''',
        """
```python
def is_prime(n):
    if n < 2:
        return False
    for i in range(2, int(n ** 0.5) + 1):
        if n % i == 0:
            return False
    return True
```

只需要检查到 √n 即可。
""",
        """
```python
def is_prime(n):
    for i in range(2, n):
        if n % i == 0:
            return False
    return True
```

这个函数可以判断所有的数。
""",
        """
质数就是奇数。
""",
    ),
    P(
        "zh-translate-luxun",
        "zh writing",
        "把这句话翻译成英文：“时间就像海绵里的水，只要愿挤，总还是有的。”",
        """
**Translation:**

> "Time is like water in a sponge: as long as you are willing to squeeze, there is always some to be found."

说明：这句话出自鲁迅。"愿挤"译为 *willing to squeeze*，保留了原文"只要肯努力，总能挤出时间"的意思；如果想更口语化，也可以译为：*"Time is like water in a sponge — squeeze hard enough and you'll always find some."*
""",
        """
"Time is like the water in a sponge — if you're willing to squeeze, there's always some."
""",
        """
"Time is water, the sponge is always there."
""",
        """
Time is money.
""",
    ),
]

TEXT_PROMPTS: list[DemoPrompt] = EXPLAIN + CODE + MATH + WRITING + ADVICE + FACTUAL + SUMMARISE + ZH

#: Outputs that leak identity on purpose: (prompt_id, system, the leaking phrase).
LEAK_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("advice-sleep", "borealis-8b", "As an AI developed by OpenAI"),
    ("zh-blockchain", "cirrus-mini", "我是由深度求索开发的"),
    ("writing-haiku-debugging", "dune-2", "I'm Dune-2, a language model"),
)

#: Gold comparisons with an obvious answer: (prompt_id, system_a, system_b, answer, explanation).
GOLD: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "factual-capital-australia",
        "atlas-70b",
        "dune-2",
        "a",
        "The capital of Australia is Canberra; Sydney is its largest city, not the capital.",
    ),
    (
        "factual-boiling-point",
        "dune-2",
        "borealis-8b",
        "b",
        "Water boils at 212 °F (100 °C) at sea level; 100 °F is about body temperature.",
    ),
    (
        "factual-moon-landing",
        "borealis-8b",
        "dune-2",
        "a",
        "Neil Armstrong was first, in 1969 (Apollo 11); Buzz Aldrin followed him minutes later.",
    ),
    (
        "factual-photosynthesis-gas",
        "dune-2",
        "atlas-70b",
        "b",
        "Plants take in carbon dioxide and release oxygen; the other answer has it backwards.",
    ),
    (
        "math-discount",
        "atlas-70b",
        "cirrus-mini",
        "a",
        "$40 is 80% of the original, so the original is $50; adding 20% to $40 gives the wrong $48.",
    ),
    (
        "factual-sunlight-time",
        "dune-2",
        "atlas-70b",
        "b",
        "Sunlight takes about 8 minutes 20 seconds to reach Earth, not 8 seconds.",
    ),
)
