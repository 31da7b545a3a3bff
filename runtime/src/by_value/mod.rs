//! Pickling by value what `pickle` can only pickle by reference, or not at
//! all: functions, classes, code, cells, modules and friends. The rules
//! that route objects here are in `spec/overrides.toml`; what the pickles
//! call at load time lives in `anethum.loaders` (a file-format contract).

mod annotations;
mod bytecode;
mod class;
mod class_attr;
mod code;
mod function;
mod lazy_import;
pub(crate) mod misc;
pub(crate) mod reference;
pub(crate) mod refs;
mod splice;
mod tracker_id;
mod transient;
pub(crate) mod weak_cache;

pub use class::{class_needs_by_value, save_class_by_value};
pub use code::save_code;
pub use tracker_id::KnownId;
pub use function::{GlobalsRef, function_needs_by_value, save_function_by_value};
pub use misc::{
    save_cell, save_classmethod, save_dataclass_field_sentinel, save_dict_items, save_dict_keys, save_dict_values,
    save_file, save_mappingproxy, save_module, save_property, save_typevar, save_weakset, typevar_needs_by_value, save_getset_descriptor, method_needs_by_value, save_method_by_value,
    partialmethod_needs_func, save_partialmethod,
};

use crate::error::{Failed, Res};
use crate::save::save_reduce;
use crate::core::Core;
use pyo3::prelude::*;

/// Turns the RecursionError that is set into `anethum.PicklingRecursionError`
/// (a PicklingError too, as cloudpickle raises), chained to the original.
pub(crate) unsafe fn as_pickling_recursion_error() {
    let py = Python::assume_attached();
    let original = PyErr::fetch(py);
    let replaced = (|| -> PyResult<PyErr> {
        let class = crate::pyalloc::getattr(&crate::pyalloc::import(py, "anethum._errors")?, "PicklingRecursionError")?;
        let message = format!("{} (could not pickle the object: excessively deep recursion required)", original.value(py));
        let error = PyErr::from_value(class.call1((crate::pyalloc::string(py, &message)?,))?);
        error.set_cause(py, Some(original.clone_ref(py)));
        Ok(error)
    })();
    match replaced {
        Ok(error) => error.restore(py),
        Err(_) => original.restore(py),
    }
}

/// After `save_global` failed to find `obj` by name: whether it can go by
/// value instead (a Python function, a class made in Python, a class of
/// the `types` module) — and the error is a lookup failure, not something
/// raised by user code along the way.
pub(crate) unsafe fn lookup_failure_goes_by_value(obj: *mut pyo3::ffi::PyObject) -> bool {
    use crate::error::exception_matches;
    let lookup_failed = exception_matches(crate::state::state().pickling_error.as_ptr())
        || exception_matches(pyo3::ffi::PyExc_AttributeError);
    if !lookup_failed {
        return false;
    }
    let py = Python::assume_attached();
    let tp = pyo3::ffi::Py_TYPE(obj);
    if tp == crate::ffi::types::function_type() {
        return true;
    }
    if !crate::ffi::types::is_subtype(tp, crate::ffi::types::type_type()) {
        return false;
    }
    // `refs` runs Python code the first time: not with the lookup's error set.
    let lookup_error = crate::error::take_raised();
    let by_value = class::made_by_class_statement(py, obj)
        // Classes of the `types` module that have no importable name.
        || refs::refs(py).is_ok_and(|r| r.builtin_type_ids.contains(&(obj as usize)));
    crate::error::restore_raised(lookup_error);
    by_value
}

/// The by-value saver for what `lookup_failure_goes_by_value` accepted;
/// a class its module holds under another name goes by that name. (A
/// function doesn't: a module's `f = lambda: ...` goes by value, as with
/// cloudpickle.)
pub(crate) unsafe fn save_by_value_instead(p: &mut Core, obj: *mut pyo3::ffi::PyObject) -> Res {
    if pyo3::ffi::Py_TYPE(obj) == crate::ffi::types::function_type() {
        return save_function_by_value(p, obj);
    }
    let py = Python::assume_attached();
    if let Some(alias) = raised(py, reference::module_alias(&Bound::from_borrowed_ptr(py, obj)))? {
        return crate::save::prelude::save_global(p, obj, Some(alias.as_ptr()));
    }
    save_class_by_value(p, obj)
}

/// Hooks for side pickles (`tracker_id`, `splice`): the core calls them
/// where its output may depend on the protocol.
#[inline(always)]
pub(crate) unsafe fn note_reduce_ex(p: &mut Core, tp: *mut pyo3::ffi::PyTypeObject) {
    // `object.__reduce_ex__` reduces alike at protocols 2 and up; any
    // other may look at the protocol.
    if p.digesting && !p.protocol_dependent {
        let st = crate::state::state();
        let found = crate::ffi::compat::_PyType_Lookup(tp, st.str_reduce_ex.as_ptr());
        if found != st.object_reduce_ex.as_ptr() {
            p.protocol_dependent = true;
        }
    }
}

#[inline(always)]
pub(crate) fn note_protocol_dependent(p: &mut Core) {
    if p.digesting {
        p.protocol_dependent = true;
    }
}

/// Converts a pyo3 error into the core's convention: exception set, `Failed`.
pub(crate) fn raised<T>(py: Python<'_>, result: PyResult<T>) -> Res<T> {
    result.map_err(|err| {
        err.restore(py);
        Failed
    })
}

/// Saves `obj` through `save_reduce` from a reduce tuple built by pyo3 code.
pub(crate) unsafe fn save_reduced(p: &mut Core, obj: *mut pyo3::ffi::PyObject, reduce: PyResult<Bound<'_, PyAny>>) -> Res {
    let py = Python::assume_attached();
    let reduce = raised(py, reduce)?;
    save_reduce(p, reduce.as_ptr(), obj)
}
