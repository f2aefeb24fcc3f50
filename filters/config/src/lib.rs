//! The JSON config contract of every dynagate filter, shared by filters and controller
