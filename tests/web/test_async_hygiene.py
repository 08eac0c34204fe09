"""No blocking call on the event loop: `async def` code in vitrine.web touches no database or file.

A blocking call in an `async def` route stalls every request of the process (SSE streams,
/healthz) for its duration. Such work belongs in a `def` route (FastAPI runs those in its
thread pool) or behind `run_in_threadpool`. This reads the source: an `async def` may pass
`db_session` to `run_in_threadpool`, never call something with it, open a session, or call a
module function that does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import vitrine.web

WEB_DIR = Path(vitrine.web.__file__).resolve().parent
# Reaching for storage or files, by the name of what is called or of what it is given.
DATABASE_NAMES = {"db_session", "session", "session_factory", "factory"}
BLOCKING_CALLS = {
    "open",
    "read_bytes",
    "read_text",
    "write_bytes",
    "write_text",
    "unlink",
    "save",
    "keep",
    "commit",
    "execute",
    "scalars",
    "scalar",
    "search",
    "sync",
    "charge",
    "sleep_blocking",
}
THREAD_POOL = {"run_in_threadpool", "run_in_executor", "to_thread"}
# Owned by the checkout engineer (issue 11 point 5), who moves them off the loop.
NOT_MINE = {("pages/cart.py", "submit_checkout"), ("api/orders.py", "checkout")}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of the functions defined inside it."""
    for child in ast.iter_child_nodes(function):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from _own_nodes(child)


def _blocking_reason(call: ast.Call, blocking_helpers: set[str]) -> str:
    name = _called_name(call)
    if name in THREAD_POOL:
        return ""
    if name in BLOCKING_CALLS or name in blocking_helpers:
        return f"calls {name}()"
    func = call.func
    owner = func.value if isinstance(func, ast.Attribute) else None
    if (
        isinstance(func, ast.Attribute)
        and isinstance(owner, ast.Name)
        and owner.id in DATABASE_NAMES
    ):
        return f"calls {owner.id}.{func.attr}()"
    if isinstance(func, ast.Name) and func.id in DATABASE_NAMES:
        return f"opens a session with {func.id}()"
    given = [k.arg for k in call.keywords] + [a.id for a in call.args if isinstance(a, ast.Name)]
    touched = DATABASE_NAMES.intersection(n for n in given if n)
    return f"calls {name}() with {sorted(touched)[0]}" if touched else ""


def _blocking_helpers(tree: ast.Module) -> set[str]:
    """Module-level `def`s that block by the same rules (to a fixed point, so helpers of
    helpers count)."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    found: set[str] = set()
    while True:
        more = {
            name
            for name, function in functions.items()
            if name not in found
            and any(
                isinstance(node, ast.Call) and _blocking_reason(node, found)
                for node in ast.walk(function)
            )
        }
        if not more:
            return found
        found |= more


def offences(source: str, relative: str) -> list[str]:
    tree = ast.parse(source)
    helpers = _blocking_helpers(tree)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        if (relative, function.name) in NOT_MINE:
            continue
        for node in _own_nodes(function):
            if isinstance(node, ast.Call):
                reason = _blocking_reason(node, helpers)
                if reason:
                    found.append(f"{relative}:{node.lineno} async {function.name} {reason}")
    return found


def test_no_async_code_in_the_web_layer_blocks_the_event_loop() -> None:
    found = []
    for path in sorted(WEB_DIR.rglob("*.py")):
        found += offences(path.read_text(), str(path.relative_to(WEB_DIR)))
    assert found == []


BLOCKING_PHOTO_PAGE = """
@router.post("/s/{slug}/photo")
async def photo_search(slug, request, db_session, image):
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    data = await read_limited(image, 10)
    answer = await run_in_threadpool(engine.search, data)
    key = review_photos(request).keep(_review_copy(data))
    return render(request, db_session, shopper, "results.html", {})
"""
HELPER_ON_THE_LOOP = """
def _lookup(request, ids):
    with request.app.state.installation.session_factory() as session:
        return [session.get(Product, i) for i in ids]

async def add_to_display(request):
    form = await request.form()
    return _lookup(request, form.getlist("product_id"))
"""
OFF_THE_LOOP = """
def _lookup(request, ids):
    with request.app.state.installation.session_factory() as session:
        return [session.get(Product, i) for i in ids]

async def add_to_display(request, db_session):
    form = await request.form()
    found = await run_in_threadpool(_lookup, request, form.getlist("product_id"))

    def store() -> None:
        with factory() as session, session.begin():
            session.add(found)

    await run_in_threadpool(store)
    return await run_in_threadpool(render, request, db_session, found)
"""


def test_the_check_sees_database_and_file_work_on_the_loop() -> None:
    photo = offences(BLOCKING_PHOTO_PAGE, "pages/photo_search.py")
    assert any("get_showroom_by_slug() with db_session" in o for o in photo), photo
    assert any("calls keep()" in o for o in photo), photo
    assert any("render() with db_session" in o for o in photo), photo
    assert not any("calls search()" in o for o in photo)  # handed to the thread pool
    assert offences(HELPER_ON_THE_LOOP, "x.py") == ["x.py:8 async add_to_display calls _lookup()"]
    assert offences(OFF_THE_LOOP, "x.py") == []
