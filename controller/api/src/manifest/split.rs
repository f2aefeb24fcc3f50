//! Cutting a multi-document YAML text into documents while remembering where each starts.

/// One YAML document of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DocumentText<'a> {
    /// 1-based position of the document in the file (empty documents count).
    pub(crate) index: usize,
    /// 1-based line where the document's text starts.
    pub(crate) first_line: usize,
    /// The document's text.
    pub(crate) text: &'a str,
}

/// Splits `text` at `---` document markers (a line that is `---`, possibly followed by whitespace and
/// content). Block scalars cannot contain such a line unindented, so a column-0 marker always starts a
/// new document.
pub(crate) fn split_documents(text: &str) -> Vec<DocumentText<'_>> {
    let mut documents = Vec::new();
    let mut start = 0usize;
    let mut first_line = 1usize;
    let mut offset = 0usize;
    for (line_number, line) in (1usize..).zip(text.split_inclusive('\n')) {
        if is_document_start(line) && offset > start {
            documents.push(DocumentText {
                index: documents.len() + 1,
                first_line,
                text: &text[start..offset],
            });
            start = offset;
            first_line = line_number;
        } else if is_document_start(line) {
            // A marker at the very beginning starts the first document; nothing precedes it.
            first_line = line_number;
        }
        offset += line.len();
    }
    if start < text.len() || documents.is_empty() {
        documents.push(DocumentText {
            index: documents.len() + 1,
            first_line,
            text: &text[start..],
        });
    }
    documents
}

fn is_document_start(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n'])
}
