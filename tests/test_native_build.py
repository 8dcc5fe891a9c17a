"""The C++ operator library (``d2gan.nn.native``) is built for this machine's instruction sets
where the compiler names them, and its cache key changes with them, with the sources and with
MXNet's version: a cache folder shared by different CPUs or versions never loads a library
built for another."""
import d2gan  # noqa: F401
import pytest

from d2gan.nn import native


def test_the_target_lists_the_instruction_sets_gcc_enables():
    cxx = native.compiler()
    if cxx is None:
        pytest.skip('no C++ compiler here')
    target = native.native_target(cxx)
    if target is None:                      # a compiler without -Q --help=target (clang)
        return
    assert '-march=' in target and '[enabled]' in target
    assert '[disabled]' not in target


def test_a_compiler_that_cannot_say_gives_no_target():
    assert native.native_target('/bin/false') is None
    assert native.native_target('/no/such/compiler') is None


def test_the_cache_key_changes_with_the_target(monkeypatch):
    monkeypatch.setitem(native._state, 'target', '-march= a\n-mavx2 [enabled]')
    first = native.library_path()
    monkeypatch.setitem(native._state, 'target', '-march= b\n-mavx2 [enabled]')
    second = native.library_path()
    monkeypatch.setitem(native._state, 'target', None)
    generic = native.library_path()
    assert len({first, second, generic}) == 3
    monkeypatch.setitem(native._state, 'target', '-march= a\n-mavx2 [enabled]')
    assert native.library_path() == first


def test_every_source_is_in_the_library_and_every_header_in_its_key(tmp_path, monkeypatch):
    names = {s.rsplit('/', 1)[-1] for s in native.SOURCES}
    assert {'library.cc', 'rows_norm.cc', 'reflect_pad.cc', 'rows_affine.cc',
            'power_iteration.cc', 'instance_layer_norm.cc'} <= names
    assert 'float_types.h' in {h.rsplit('/', 1)[-1] for h in native.HEADERS}
    header = tmp_path / 'extra.h'
    header.write_text('// a changed header\n')
    before = native.library_path()
    monkeypatch.setattr(native, 'HEADERS', native.HEADERS + [str(header)])
    assert native.library_path() != before


def test_the_cache_key_changes_with_the_compiler_flags(monkeypatch):
    """-fno-math-errno vectorises Adam's square roots (d2gan_adam_update); a library built
    without it is another library."""
    assert '-fno-math-errno' in native.FLAGS
    before = native.library_path()
    monkeypatch.setattr(native, 'FLAGS', [f for f in native.FLAGS if f != '-fno-math-errno'])
    assert native.library_path() != before
