//! Plain-text tables with aligned columns.

/// A table: a header row and data rows; numeric columns are right-aligned.
pub struct Table {
    header: Vec<String>,
    right_aligned: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Creates a table; a column whose name starts with `>` is right-aligned (the `>` is dropped).
    pub fn new(columns: &[&str]) -> Table {
        Table {
            header: columns
                .iter()
                .map(|column| column.trim_start_matches('>').to_string())
                .collect(),
            right_aligned: columns
                .iter()
                .map(|column| column.starts_with('>'))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells are empty.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Renders the table with two spaces between columns and no trailing spaces.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self
            .header
            .iter()
            .map(|cell| cell.chars().count())
            .collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                if index < widths.len() {
                    widths[index] = widths[index].max(cell.chars().count());
                }
            }
        }

        let mut output = String::new();
        let all_rows = std::iter::once(&self.header).chain(self.rows.iter());
        for row in all_rows {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = row.get(index).map(String::as_str).unwrap_or("");
                let padding = width.saturating_sub(cell.chars().count());
                if index > 0 {
                    line.push_str("  ");
                }
                if self.right_aligned[index] {
                    line.push_str(&" ".repeat(padding));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(padding));
                }
            }
            output.push_str(line.trim_end());
            output.push('\n');
        }
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut table = Table::new(&["name", ">calls"]);
        table.push(vec!["a".into(), "1".into()]);
        table.push(vec!["longer".into(), "123".into()]);
        assert_eq!(
            table.render(),
            "name    calls\na           1\nlonger    123\n"
        );
    }
}
