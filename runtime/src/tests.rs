//! Rust-side tests with an embedded CPython: the core against `_pickle`.

use crate::core::Core;
use crate::memo::Memo;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn ours<'py>(obj: &Bound<'py, PyAny>, protocol: i32) -> Vec<u8> {
    let py = obj.py();
    crate::state::init(py).unwrap();
    unsafe {
        let mut core = Core::new().unwrap();
        // The by-value rules need the `anethum` package, absent here.
        core.by_value = false;
        let proto = protocol.into_pyobject(py).unwrap();
        core.set_protocol(proto.as_ptr(), true).unwrap();
        core.dump(obj.as_ptr()).map_err(|_| PyErr::fetch(py)).unwrap();
        let bytes = core.out.take_bytes().unwrap();
        Bound::from_owned_ptr(py, bytes.into_ptr()).cast_into::<PyBytes>().unwrap().as_bytes().to_vec()
    }
}

fn reference<'py>(obj: &Bound<'py, PyAny>, protocol: i32) -> Vec<u8> {
    let pickle = obj.py().import("pickle").unwrap();
    pickle.call_method1("dumps", (obj, protocol)).unwrap().extract().unwrap()
}

#[test]
fn matches_pickle_for_every_protocol() {
    Python::attach(|py| {
        let cases = [
            "None", "[True, False, 0, -1, 255, 65536, 2**31, -2**63, 2**200]", "(1.5, float('nan'), -0.0)",
            "{'a': [1, 2], 'b': ('x', b'y', bytearray(b'z'))}", "set(range(2500))", "frozenset('abc')",
            "[list(range(1000)), 'x' * 70000]", "{i: str(i) for i in range(1001)}", "'\\ud800\\n\\\\'",
            "(len, type(None), complex(1, 2))",
        ];
        for source in cases {
            let obj = py.eval(&std::ffi::CString::new(source).unwrap(), None, None).unwrap();
            for protocol in 0..=5 {
                assert_eq!(ours(&obj, protocol), reference(&obj, protocol), "{source} at protocol {protocol}");
            }
        }
    });
}

fn refcount(obj: &Bound<'_, PyAny>) -> isize {
    unsafe { pyo3::ffi::Py_REFCNT(obj.as_ptr()) }
}

#[test]
fn memo_keeps_ids_and_references_across_growth() {
    Python::attach(|py| {
        let objects: Vec<Bound<'_, PyAny>> = (0..10_000).map(|i| format!("s{i}").into_pyobject(py).unwrap().into_any()).collect();
        let mut memo = Memo::default();
        for (i, obj) in objects.iter().enumerate() {
            let before = refcount(obj);
            unsafe { memo.set(obj.as_ptr(), i) };
            assert_eq!(refcount(obj), before + 1);
        }
        assert_eq!(memo.len(), objects.len());
        for (i, obj) in objects.iter().enumerate() {
            assert_eq!(memo.get(obj.as_ptr()), Some(i));
        }
        unsafe { memo.clear() };
        assert_eq!(memo.len(), 0);
        assert!(objects.iter().all(|o| refcount(o) == 1));
    });
}
