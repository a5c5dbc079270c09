//! The text of an element in the XML documents of S3 and STS: their error answers and
//! STS's credentials. Each is a flat document whose elements have no attributes and
//! occur once, so finding a tag is all the parsing it takes.

/// The text of the first `<tag>…</tag>` in `body`, unescaped and trimmed; `None`
/// when it is missing or empty.
pub(super) fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_are_read() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                    <Message>The request signature we calculated does not match &amp; so on</Message></Error>";
        assert_eq!(xml_text(body, "Code").unwrap(), "SignatureDoesNotMatch");
        assert_eq!(
            xml_text(body, "Message").unwrap(),
            "The request signature we calculated does not match & so on"
        );
        assert_eq!(xml_text(body, "Key"), None);
        assert_eq!(xml_text("<Code></Code>", "Code"), None);
    }
}
