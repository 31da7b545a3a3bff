//! Python objects the by-value savers need, looked up once on first use
//! (not at import: `anethum.loaders` imports would be circular then).

use crate::pyalloc::{dict, getattr, import, int, string};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet};

pub struct Refs {
    pub make_function: Py<PyAny>,
    pub function_setstate: Py<PyAny>,
    pub make_empty_cell: Py<PyAny>,
    pub make_cell: Py<PyAny>,
    pub make_class_dict_cell: Py<PyAny>,
    pub getset_descriptor: Py<PyAny>,
    pub make_skeleton_class: Py<PyAny>,
    pub make_skeleton_enum: Py<PyAny>,
    pub class_setstate: Py<PyAny>,
    pub track_pickled_class: Py<PyAny>,
    pub make_typevar: Py<PyAny>,
    pub make_paramspec: Py<PyAny>,
    pub subimport: Py<PyAny>,
    pub dynamic_subimport: Py<PyAny>,
    pub builtin_type: Py<PyAny>,
    pub make_dict_keys: Py<PyAny>,
    pub make_dict_values: Py<PyAny>,
    pub make_dict_items: Py<PyAny>,
    pub file_reconstructor: Py<PyAny>,
    pub dataclass_field_sentinel: Py<PyAny>,
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

pub fn refs(py: Python<'_>) -> PyResult<&'static Refs> {
    crate::process::PROCESS.refs.get_or_try_init(py, || load(py))
}

fn load(py: Python<'_>) -> PyResult<Refs> {
    let loaders = import(py, "anethum.loaders")?;
    let get = |name: &str| getattr(&loaders, name).map(Bound::unbind);
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
        make_function: get("make_function")?,
        function_setstate: get("function_setstate")?,
        make_empty_cell: get("make_empty_cell")?,
        make_cell: get("make_cell")?,
        make_class_dict_cell: get("make_class_dict_cell")?,
        getset_descriptor: get("getset_descriptor")?,
        make_skeleton_class: get("make_skeleton_class")?,
        make_skeleton_enum: get("make_skeleton_enum")?,
        class_setstate: get("class_setstate")?,
        track_pickled_class: get("_track_pickled_class")?,
        make_typevar: get("make_typevar")?,
        make_paramspec: get("make_paramspec")?,
        subimport: get("subimport")?,
        dynamic_subimport: get("dynamic_subimport")?,
        builtin_type: get("builtin_type")?,
        make_dict_keys: get("make_dict_keys")?,
        make_dict_values: get("make_dict_values")?,
        make_dict_items: get("make_dict_items")?,
        file_reconstructor: get("file_reconstructor")?,
        dataclass_field_sentinel: get("dataclass_field_sentinel")?,
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
