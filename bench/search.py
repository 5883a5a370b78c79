"""Search on the embedded SQLite store at scale: query latency and index size, next to ``LIKE``.

Fills a fresh store with chat messages and forum posts in six languages (French, German, Polish,
Greek, Czech, English, accents kept; words drawn from the lists below with a Zipf-like weight, fixed
seed), inserted in large transactions into the store's own tables, so that the search triggers of
migration 11 index every row exactly as on a send. Then times, through ``store.search``, one-word
queries (newest first and best match; the last word a prefix, as the domain asks) and two-word
queries in a pupil's scope (a few rooms and a forum of one project), and the same one-word queries
as ``LIKE '%word%'`` on the same rooms (newest first, on the messages' own index), and reports the
index's size (``dbstat``). ``--append`` also times 2,000 sends through ``append_message`` with and
without the message triggers.

    .venv/bin/python bench/search.py [--messages 1000000] [--posts 50000] [--queries 300] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rooms.chat_models import Message  # noqa: E402
from rooms.forum_models import Post, Thread  # noqa: E402
from rooms.ids import new_id, utcnow  # noqa: E402
from rooms.search_models import SearchOrder, SearchQuery, SearchScope  # noqa: E402
from rooms.search_text import terms  # noqa: E402
from storage.documents.sqlite import SqliteDocumentStore  # noqa: E402
from storage.documents.sqlite_base import register_search_functions  # noqa: E402

WORDS = {
    "fr": "élève école rivière forêt été hiver château théâtre musée cahier crayon leçon réponse question "
          "français mathématiques géographie histoire voyage départ arrivée fenêtre maison journée semaine "
          "projet groupe travail exposé recherche découverte nature montagne lac île côte naïf noël cœur "
          "garçon fille professeur récréation cantine bibliothèque dictée poème chanson peinture",
    "de": "Schüler Schule Fluss Wald Sommer Winter Brücke München Straße Mädchen Junge Lehrer Hausaufgabe "
          "Frage Antwort Übung Prüfung Geschichte Erdkunde Reise Abfahrt Fenster Woche Gruppe Arbeit Natur "
          "Berg See Insel Küste Märchen Gedicht Lied Bücherei Pause Frühstück grün größer schön fröhlich",
    "pl": "uczeń szkoła rzeka las lato zima most dziewczynka chłopiec nauczyciel zadanie pytanie odpowiedź "
          "ćwiczenie historia geografia podróż okno tydzień grupa praca przyroda góra jezioro wyspa wybrzeże "
          "wiersz piosenka biblioteka przerwa śniadanie zielony większy piękny wesoły żółw źródło łódź",
    "el": "μαθητής σχολείο ποταμός δάσος καλοκαίρι χειμώνας γέφυρα κορίτσι αγόρι δάσκαλος εργασία ερώτηση "
          "απάντηση άσκηση ιστορία γεωγραφία ταξίδι παράθυρο εβδομάδα ομάδα φύση βουνό λίμνη νησί ακτή "
          "ποίημα τραγούδι βιβλιοθήκη διάλειμμα πρωινό πράσινος μεγάλος όμορφος χαρούμενος θάλασσα",
    "cs": "žák škola řeka les léto zima most dívka chlapec učitel úkol otázka odpověď cvičení dějepis "
          "zeměpis cesta okno týden skupina práce příroda hora jezero ostrov pobřeží báseň píseň knihovna "
          "přestávka snídaně zelený větší krásný veselý čtvrtek středa",
    "en": "pupil school river forest summer winter bridge girl boy teacher homework question answer exercise "
          "history geography journey window week group work nature mountain lake island coast poem song "
          "library break breakfast green bigger beautiful cheerful Thursday Wednesday",
}
LANGS = tuple(WORDS)
PROJECTS, ROOMS_PER_PROJECT, THREADS_PER_FORUM = 10, 20, 50
START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 50_000


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Corpus:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.words = {lang: text.split() for lang, text in WORDS.items()}
        self.weights = {lang: [1 / (rank + 1) for rank in range(len(ws))] for lang, ws in self.words.items()}

    def sentence(self, lang: str) -> str:
        n = self.rnd.randint(4, 14)
        words = self.rnd.choices(self.words[lang], self.weights[lang], k=n)
        return " ".join(words).capitalize() + self.rnd.choice((".", "!", "?", " :)", ""))


def room(p: int, r: int) -> str:
    return f"spc_p{p}r{r}"


def forum(p: int) -> str:
    return f"spc_p{p}forum"


def lang_of(p: int, r: int) -> str:
    return LANGS[(p + r) % len(LANGS)]


def fill(path: Path, n_messages: int, n_posts: int, seed: int) -> float:
    """Bulk inserts into the store's own tables, in large transactions: the triggers index every row."""
    corpus = Corpus(seed)
    template = json.loads(Message(id="m", room_id="r", project_id="p", seq=0, client_id="c", author_id="u",
                                  author_name="U", text="t", created_at=utcnow()).model_dump_json())
    rooms = [(p, r) for p in range(PROJECTS) for r in range(ROOMS_PER_PROJECT)]
    conn = sqlite3.connect(path, isolation_level=None)
    register_search_functions(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    began = time.perf_counter()
    seqs = dict.fromkeys(rooms, 0)
    step = timedelta(seconds=30)
    for start in range(0, n_messages, BATCH):
        rows = []
        for i in range(start, min(n_messages, start + BATCH)):
            p, r = rooms[corpus.rnd.randrange(len(rooms))]
            seqs[(p, r)] += 1
            lang = lang_of(p, r)
            doc = dict(template, id=f"msg_{i:08d}", room_id=room(p, r), project_id=f"prj_{p}", seq=seqs[(p, r)],
                       rev=seqs[(p, r)], client_id=f"c{i}", author_id=f"u{p}_{i % 30}", author_name=f"U{i % 30}",
                       text=corpus.sentence(lang), created_at=stamp(START + i * step))
            rows.append((doc["room_id"], doc["seq"], doc["id"], doc["project_id"], doc["author_id"], doc["client_id"],
                         doc["created_at"], json.dumps(doc, ensure_ascii=False), doc["rev"]))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc, "
                         "rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        print(f"  {start + len(rows):>9,} messages, {time.perf_counter() - began:.0f} s", flush=True)
    now = utcnow()
    t_template = json.loads(Thread(id="t", forum_id="f", project_id="p", title="t", body="b", body_html="",
                                   author_id="u", author_name="U", created_at=now,
                                   last_activity_at=now).model_dump_json())
    p_template = json.loads(Post(id="p", thread_id="t", forum_id="f", project_id="p", seq=0, body="b", body_html="",
                                 author_id="u", author_name="U", created_at=now).model_dump_json())
    threads = [(p, k) for p in range(PROJECTS) for k in range(THREADS_PER_FORUM)]
    conn.execute("BEGIN")
    for p, k in threads:
        lang = LANGS[p % len(LANGS)]
        doc = dict(t_template, id=f"thr_p{p}t{k}", forum_id=forum(p), project_id=f"prj_{p}",
                   title=corpus.sentence(lang)[:80], body=corpus.sentence(lang), created_at=stamp(START))
        conn.execute("INSERT INTO threads (id, forum_id, pinned, activity, deleted, locked, doc) "
                     "VALUES (?, ?, 0, ?, 0, 0, ?)", (doc["id"], doc["forum_id"], k, json.dumps(doc, ensure_ascii=False)))
    post_rows = []
    for i in range(n_posts):
        p, k = threads[corpus.rnd.randrange(len(threads))]
        lang = LANGS[p % len(LANGS)]
        doc = dict(p_template, id=f"pst_{i:08d}", thread_id=f"thr_p{p}t{k}", forum_id=forum(p), project_id=f"prj_{p}",
                   seq=i + 1, body=" ".join(corpus.sentence(lang) for _ in range(3)), author_id=f"u{p}_{i % 30}",
                   created_at=stamp(START + i * step * 20))
        post_rows.append((doc["thread_id"], doc["seq"], doc["id"], json.dumps(doc, ensure_ascii=False)))
    conn.executemany("INSERT INTO posts (thread_id, seq, id, doc) VALUES (?, ?, ?, ?)", post_rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - began


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, samples: list[float]) -> str:
    return (f"{name:<44} p50 {pct(samples, 0.5) * 1000:7.2f} ms   p99 {pct(samples, 0.99) * 1000:7.2f} ms   "
            f"mean {statistics.fmean(samples) * 1000:7.2f} ms")


async def measure(path: Path, n_queries: int, seed: int) -> None:
    rnd = random.Random(seed + 1)
    store = SqliteDocumentStore(path)
    await store.open()
    try:
        p = 3  # a pupil of project 3, in three rooms (three languages) and its forum
        spaces = (room(p, 0), room(p, 1), room(p, 2), forum(p))
        scope = SearchScope(project_id=f"prj_{p}", spaces=spaces, mail_owner=f"u{p}_1", files_of=f"u{p}_1")
        every = [w for ws in WORDS.values() for w in ws.split()]
        ones = [rnd.choice(every) for _ in range(n_queries)]
        pairs = []
        for _ in range(n_queries):
            lang = lang_of(p, rnd.randrange(3))
            ws = WORDS[lang].split()
            pairs.append(f"{rnd.choice(ws[:15])} {rnd.choice(ws)}")
        results: dict[str, list[float]] = {}
        hits: dict[str, int] = {}

        async def timed(name: str, text: str, order: SearchOrder = "newest") -> None:
            query = SearchQuery(words=tuple(terms(text)), order=order)
            began = time.perf_counter()
            found = await store.search(scope, query, 20)
            results.setdefault(name, []).append(time.perf_counter() - began)
            hits[name] = hits.get(name, 0) + len(found)

        for word in ones[:20]:  # warm the cache
            await timed("warm", word)
        for word in ones:
            await timed("newest", word)
        for word in ones:
            await timed("best", word, "best")
        for text in pairs:
            await timed("two", text)
        for word in ones:
            await timed("prefix2", terms(word)[0][:2])
        reader = store._reader
        assert reader is not None
        like = []
        marks = ", ".join("?" for _ in spaces[:3])
        for word in ones[:max(20, n_queries // 5)]:
            began = time.perf_counter()
            reader.execute(f"SELECT id FROM messages WHERE project_id = ? AND room_id IN ({marks}) AND "  # noqa: S608
                           "json_extract(doc, '$.text') LIKE ? ORDER BY created_at DESC LIMIT 20",
                           (scope.project_id, *spaces[:3], f"%{word}%")).fetchall()
            like.append(time.perf_counter() - began)
        scan = []
        for word in ones[:10]:
            began = time.perf_counter()
            reader.execute("SELECT COUNT(*) FROM messages WHERE json_extract(doc, '$.text') LIKE ?",
                           (f"%{word}%",)).fetchall()
            scan.append(time.perf_counter() - began)
        sizes = dict(reader.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
        (n_items,) = reader.execute("SELECT COUNT(*) FROM search_items").fetchone()
    finally:
        await store.aclose()
    print(f"\nqueries: {n_queries} of each, pupil scope of 3 rooms and a forum of project {p}, 20 per page; "
          f"{n_items:,} items indexed")
    print(line("one word, newest first (FTS5)", results["newest"]), f"  {hits['newest'] / n_queries:.1f} hits/query")
    print(line("one word, best match (bm25, <= 1,000 ranked)", results["best"]))
    print(line("two words, newest first (FTS5)", results["two"]), f"  {hits['two'] / n_queries:.1f} hits/query")
    print(line("two letters as a prefix, newest first", results["prefix2"]))
    print(line("one word, LIKE '%w%' on the 3 rooms (index)", like))
    print(line("one word, LIKE '%w%' on every message", scan))
    fts = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
    side = sum(v for k, v in sizes.items() if k.startswith("search_items") or k.startswith("sqlite_autoindex_search"))
    data = sum(v for k, v in sizes.items() if k in ("messages", "posts", "threads"))
    total = sum(sizes.values())
    print(f"\nsize: FTS5 tables {fts / 2**20:.0f} MiB, search_items and its indexes {side / 2**20:.0f} MiB; "
          f"messages+posts+threads tables {data / 2**20:.0f} MiB; whole database {total / 2**20:.0f} MiB")


async def append_cost(n: int) -> None:
    """``n`` sends (half one after the other, half 20 at once) through ``append_message``, with and without the search triggers."""
    for label, drop in (("without search triggers", True), ("with search triggers", False)):
        base = Path(tempfile.mkdtemp(prefix="twinspace-append-"))  # noqa: SIM117
        try:
            store = SqliteDocumentStore(base / "docs.sqlite3")
            await store.open()
            if drop:
                await store._in_one_call(lambda raw: raw.execute("DROP TRIGGER search_messages_insert"))
            corpus = Corpus(7)
            rows = [Message(id=new_id("msg"), room_id="spc_r", project_id="prj_x", seq=0, client_id=new_id("c"),
                            author_id="u1", author_name="U", text=corpus.sentence(LANGS[k % 6]), created_at=utcnow())
                    for k in range(n + 200)]
            for m in rows[:200]:
                await store.append_message(m)
            for at_once in (1, 20):
                part = rows[200:200 + n // 2] if at_once == 1 else rows[200 + n // 2:]
                wall, cpu = time.perf_counter(), time.process_time()
                for k in range(0, len(part), at_once):
                    await asyncio.gather(*(store.append_message(m) for m in part[k:k + at_once]))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                print(f"append {at_once:>2} at once, {label:<24} {wall / len(part) * 1e6:6.0f} µs wall, "
                      f"{cpu / len(part) * 1e6:6.0f} µs CPU per send", flush=True)
            await store.aclose()
        finally:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--append", action="store_true", help="also time 2,000 sends with and without the triggers")
    parser.add_argument("--keep", type=Path, help="fill this file once and reuse it")
    args = parser.parse_args()
    if args.append:
        asyncio.run(append_cost(2_000))
    base = Path(tempfile.mkdtemp(prefix="twinspace-search-"))
    try:
        path = args.keep or base / "docs.sqlite3"
        if not path.exists():
            asyncio.run(_create(path))
            size = path.stat().st_size
            seconds = fill(path, args.messages, args.posts, args.seed)
            print(f"filled {args.messages:,} messages and {args.posts:,} posts in {seconds:.0f} s "
                  f"(database {size / 2**20:.1f} → {path.stat().st_size / 2**20:.0f} MiB)")
        asyncio.run(measure(path, args.queries, args.seed))
    finally:
        shutil.rmtree(base, ignore_errors=True)


async def _create(path: Path) -> None:
    store = SqliteDocumentStore(path)
    await store.open()
    await store.aclose()


if __name__ == "__main__":
    main()
