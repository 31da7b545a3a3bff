//! Python objects the by-value savers need, looked up once on first use
//! (not at import: `anethum.loaders` imports would be circular then).

use crate::pyalloc::{dict, getattr, import, int, string};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet};

pub struct Refs {
    /// The load-time helpers the rules declare (generated from the spec).
    pub helpers: crate::generated::helpers::Helpers,
    /// `anethum._registry.PICKLE_BY_VALUE_MODULES`, read live.
    pub by_value_modules: Py<PySet>,
    pub code_type: Py<PyAny>,
    pub mappingproxy_type: Py<PyAny>,
    pub enum_type: Py<PyAny>,
    pub abcmeta: Py<PyAny>,
    pub abc_get_dump: Py<PyAny>,
    pub property_type: Py<PyAny>,
    pub paramspec_type: Option<Py<PyAny>>,
    /// `{id(types.X): "X"}` for the classes of the `types` module (by id:
    /// a metaclass may make its classes unhashable).
    pub builtin_type_names: Py<PyDict>,
    /// The same classes' addresses, for a lookup without a Python call.
    pub builtin_type_ids: std::collections::HashSet<usize>,
    /// `tp_dealloc` of classes made by `type.__new__`.
    pub python_class_dealloc: unsafe extern "C" fn(*mut pyo3::ffi::PyObject),
}

impl std::ops::Deref for Refs {
    type Target = crate::generated::helpers::Helpers;
    fn deref(&self) -> &Self::Target {
        &self.helpers
    }
}

pub fn refs(py: Python<'_>) -> PyResult<&'static Refs> {
    crate::process::PROCESS.refs.get_or_try_init(py, || load(py))
}

fn load(py: Python<'_>) -> PyResult<Refs> {
    let loaders = import(py, "anethum.loaders")?;
    let types = import(py, "types")?;
    let abc = import(py, "abc")?;
    let typing = import(py, "typing")?;
    let builtin_type_names = dict(py)?;
    for (name, value) in types.dict().iter() {
        if value.get_type().is(&py.get_type::<pyo3::types::PyType>()) {
            builtin_type_names.set_item(int(py, value.as_ptr() as usize)?, name)?;
        }
    }
    let probe = py.eval(c"type('_anethum_probe', (), {})", None, None)?;
    let python_class_dealloc = unsafe { (*probe.as_ptr().cast::<pyo3::ffi::PyTypeObject>()).tp_dealloc }
        .ok_or_else(|| crate::pyalloc::error::<pyo3::exceptions::PyRuntimeError>("classes have no tp_dealloc"))?;
    let mut known = Vec::new();
    for (name, value) in loaders.dict().iter() {
        let is_function = value.is_instance_of::<pyo3::types::PyFunction>();
        if is_function
            && getattr(&value, "__module__")?.eq(string(py, "anethum.loaders")?)?
            && !name.extract::<String>()?.starts_with('_')
        {
            let module_name = getattr(&value, "__module__")?;
            let qualname = getattr(&value, "__qualname__")?;
            if !qualname.extract::<String>()?.contains('.') {
                unsafe {
                    known.push((
                        crate::owned::Owned::new(value.into_ptr()),
                        crate::owned::Owned::new(module_name.into_ptr()),
                        crate::owned::Owned::new(qualname.into_ptr()),
                    ));
                }
            }
        }
    }
    crate::save::known_globals::register(known);
    Ok(Refs {
        helpers: crate::generated::helpers::load(loaders.as_any())?,
        by_value_modules: getattr(&import(py, "anethum._registry")?, "PICKLE_BY_VALUE_MODULES")?.cast_into::<PySet>()?.unbind(),
        code_type: getattr(&types, "CodeType")?.unbind(),
        mappingproxy_type: getattr(&types, "MappingProxyType")?.unbind(),
        enum_type: getattr(&import(py, "enum")?, "Enum")?.unbind(),
        abcmeta: getattr(&abc, "ABCMeta")?.unbind(),
        abc_get_dump: getattr(&abc, "_get_dump")?.unbind(),
        property_type: getattr(&import(py, "builtins")?, "property")?.unbind(),
        paramspec_type: match getattr(&typing, "ParamSpec") {
            Ok(paramspec) => Some(paramspec.unbind()),
            Err(err) if err.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) => None,
            Err(err) => return Err(err),
        },
        builtin_type_ids: crate::pyalloc::keys(&builtin_type_names)?.iter().filter_map(|k| k.extract::<usize>().ok()).collect(),
        builtin_type_names: builtin_type_names.unbind(),
        python_class_dealloc,
    })
}
