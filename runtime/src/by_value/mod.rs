//! Pickling by value what `pickle` can only pickle by reference, or not at
//! all: functions, classes, code, cells, modules and friends. The rules
//! that route objects here are in `spec/overrides.toml`; what the pickles
//! call at load time lives in `anethum.loaders` (a file-format contract).

mod bytecode;
mod class;
mod code;
mod function;
mod misc;
mod reference;
mod refs;

pub use class::{class_needs_by_value, save_class_by_value};
pub use code::save_code;
pub use function::{GlobalsRef, function_needs_by_value, save_function_by_value};
pub use misc::{
    save_cell, save_classmethod, save_dataclass_field_sentinel, save_dict_items, save_dict_keys, save_dict_values,
    save_file, save_mappingproxy, save_memoryview, save_module, save_property, save_typevar, save_weakset, typevar_needs_by_value, save_getset_descriptor, method_needs_by_value, save_method_by_value,
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
        let class = py.import("anethum._errors")?.getattr("PicklingRecursionError")?;
        let message = format!("{} (could not pickle the object: excessively deep recursion required)", original.value(py));
        let error = PyErr::from_value(class.call1((message,))?);
        error.set_cause(py, Some(original.clone_ref(py)));
        Ok(error)
    })();
    match replaced {
        Ok(error) => error.restore(py),
        Err(_) => original.restore(py),
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
