//! Building SQL from fixed fragments and bound values: the text never holds
//! a value, so what a caller passes cannot change the statement.

#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), params: Vec::new() }
    }

    /// Appends a fixed fragment.
    pub fn text(&mut self, fragment: &str) {
        self.text.push_str(fragment);
    }

    /// Appends a placeholder bound to `value`.
    pub fn param(&mut self, value: Param) {
        self.params.push(value);
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
    }

    pub fn parts(&self) -> (String, &[Param]) {
        (self.text.clone(), &self.params)
    }
}

/// Runs `$sql` (a [`Sql`]) as `query_as` / `query_scalar` on the pool `$p`.
#[macro_export]
#[doc(hidden)]
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for v in $params {
            q = match v {
                $crate::sql::Param::Text(t) => q.bind(t.as_str()),
                $crate::sql::Param::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}
