"""The library's import graph has no cycles, and no function hides an import of a d2gan module.

The graph is read from the source with :mod:`ast` (nothing is imported): one node per module,
one edge per ``import`` / ``from ... import`` anywhere in it (module level or inside a
function), relative imports resolved, ``from . import x`` pointing at the submodule ``x``.
Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so those packages are edges
too unless they already enclose the importing module. A cycle is reported twice over: between
modules, and between the library's top-level parts (``d2gan.data``, ``d2gan.train``,
``d2gan.penalty``, ...), whose order must follow :data:`FLOORS`.
"""
import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'd2gan')

#: Top-level parts, bottom up: a part may import only parts on a lower floor (or its own).
FLOORS = [
    {'_env', 'run_size', 'book', 'registry', 'device', 'timer', 'latent', 'image_pool', 'plot',
     'launch', 'data', 'nn', 'grad_requests'},
    {'losses', 'losses_perceptual', 'losses_faceid', 'penalty'},
    {'models'},
    {'train'},
    {'gans', 'metrics', 'pretrained'},
    {'cli'},
    {'__main__'},
]

#: ``(module, imported module)``: function-local imports of d2gan modules allowed, each with its
#: reason. Empty: every d2gan import is at module level. (Optional heavy dependencies -- skimage,
#: matplotlib, IPython, mxnet.contrib.amp -- are imported inside functions, but they are not d2gan
#: modules and cannot form a cycle with it.)
LOCAL_IMPORT_ALLOWED = set()


def _module_name(path):
    rel = os.path.relpath(path, os.path.dirname(ROOT))[:-len('.py')].split(os.sep)
    return '.'.join(rel[:-1] if rel[-1] == '__init__' else rel)


def _modules():
    found = {}
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                found[_module_name(path)] = path
    return found


def _is_package(path):
    return os.path.basename(path) == '__init__.py'


def _imports(name, path, modules):
    """``(target module, inside a function?)`` for every import of a d2gan module in ``path``."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    package = name if _is_package(path) else name.rpartition('.')[0]

    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, local
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split('.')
                    base = base[:len(base) - child.level + 1]
                    base = '.'.join(base + ([child.module] if child.module else []))
                else:
                    base = child.module
                for alias in child.names:
                    sub = f'{base}.{alias.name}'
                    yield (sub if sub in modules else base), local
            yield from visit(child, inner)

    for target, local in visit(tree, False):
        if target in modules:
            yield target, local


def _ancestors(name):
    parts = name.split('.')
    return ['.'.join(parts[:i]) for i in range(2, len(parts))]


def import_graph():
    """``({module: {imported modules}}, [(module, target) of function-local imports])``."""
    modules = _modules()
    graph, local_imports = {name: set() for name in modules}, []
    for name, path in modules.items():
        own = set(_ancestors(name)) | ({name} if _is_package(path) else set())
        for target, local in _imports(name, path, modules):
            if target == name:
                continue
            graph[name].add(target)
            graph[name].update(a for a in _ancestors(target) if a not in own)
            if local:
                local_imports.append((name, target))
    return graph, local_imports


def find_cycle(graph):
    """One cycle of ``graph`` as a list of nodes (first == last), or ``None``."""
    state, stack = {}, []

    def walk(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = walk(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = walk(node)
            if cycle:
                return cycle
    return None


def _part(name):
    return name.split('.')[1]


def part_graph(graph):
    """The graph between top-level parts; the root package ``d2gan`` is left out."""
    parts = {}
    for name, targets in graph.items():
        if name == 'd2gan':
            continue
        edges = parts.setdefault(_part(name), set())
        edges.update(_part(t) for t in targets if t != 'd2gan' and _part(t) != _part(name))
    return parts


def test_graph_is_read():
    graph, _ = import_graph()
    assert 'd2gan.train.step' in graph['d2gan.gans.dcgan']            # from ..train.step import
    assert 'd2gan.train' in graph['d2gan.gans.dcgan']                 # whose package runs first
    assert 'd2gan.train.distributed' in graph['d2gan.train']          # from . import distributed
    assert 'd2gan.gans' not in graph['d2gan.gans.dcgan']              # its own package


def test_no_cycle_between_modules():
    cycle = find_cycle(import_graph()[0])
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)


def test_no_cycle_between_parts():
    cycle = find_cycle(part_graph(import_graph()[0]))
    assert cycle is None, 'import cycle between parts of d2gan: ' + ' -> '.join(cycle)


def test_parts_follow_the_floors():
    floor = {part: i for i, parts in enumerate(FLOORS) for part in parts}
    parts = part_graph(import_graph()[0])
    assert set(parts) <= set(floor), f'parts without a floor: {sorted(set(parts) - set(floor))}'
    upward = [f'{a} -> {b}' for a, targets in sorted(parts.items()) for b in sorted(targets)
              if floor[b] >= floor[a] and a != b]
    assert not upward, 'imports that do not go down a floor: ' + ', '.join(upward)


def test_no_function_local_import_of_d2gan():
    local = sorted(set(import_graph()[1]) - LOCAL_IMPORT_ALLOWED)
    assert not local, 'function-local imports of d2gan modules: ' + ', '.join(
        f'{a} imports {b}' for a, b in local)


def test_function_local_imports_are_seen(tmp_path):
    path = tmp_path / 'mod.py'
    path.write_text('import os\n\ndef f():\n    from .loop import train_gan\n')
    found = list(_imports('d2gan.train.mod', str(path), {'d2gan.train.loop'}))
    assert found == [('d2gan.train.loop', True)]


@pytest.mark.parametrize('graph, cycle', [
    ({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}, ['a', 'b', 'c', 'a']),
    ({'a': {'b', 'c'}, 'b': {'c'}, 'c': set()}, None),
])
def test_find_cycle(graph, cycle):
    assert find_cycle(graph) == cycle
