use super::*;

#[test]
fn template_pieces() {
    let p = parse_payload_template("v0:{timestamp}:{body}").unwrap();
    assert_eq!(
        p,
        vec![
            Piece::Literal(b"v0:".to_vec()),
            Piece::Timestamp,
            Piece::Literal(b":".to_vec()),
            Piece::Body
        ]
    );
    assert_eq!(parse_payload_template("{body}").unwrap(), vec![Piece::Body]);
}

#[test]
fn template_errors() {
    assert!(parse_payload_template("{timestamp}.{bdy}").is_err());
    assert!(parse_payload_template("{timestamp}.").is_err());
    assert!(parse_payload_template("{body").is_err());
}
