//! Loading departments and categories into the in-memory [`Catalog`].

use diesel::prelude::*;

use super::rows::{CategoryRow, DepartmentRow};
use super::schema::{categories, departments};
use super::{DbConnection, StorageError};
use crate::domain::category::{Catalog, Category, Department};

/// Reads every department and category (active or not).
pub fn load(conn: &mut DbConnection) -> Result<Catalog, StorageError> {
    let departments: Vec<Department> =
        departments::table.select(DepartmentRow::as_select()).load(conn)?.into_iter().map(Department::from).collect();
    let categories = categories::table
        .select(CategoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Category::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Catalog::new(departments, categories))
}
