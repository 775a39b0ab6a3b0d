use super::*;

fn internal(s: &str) -> bool {
    is_internal(s.parse().unwrap())
}

#[test]
fn ipv4_inside_networks_is_internal() {
    for a in [
        "0.0.0.0",
        "0.1.2.3",
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254", // cloud metadata
        "100.64.0.1",      // CGNAT
        "100.127.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
    ] {
        assert!(internal(a), "{a} must be refused");
    }
}

#[test]
fn public_ipv4_is_allowed() {
    for a in [
        "8.8.8.8",
        "1.1.1.1",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "169.253.1.1",
        "192.167.1.1",
        "198.17.1.1",
        "223.255.255.255",
        "11.0.0.1",
    ] {
        assert!(!internal(a), "{a} is public");
    }
}

#[test]
fn ipv6_inside_networks_is_internal() {
    for a in [
        "::",
        "::1",
        "fc00::1",
        "fd12:3456:789a::1", // unique local
        "fe80::1",
        "febf::1",
        "fec0::1",
        "ff02::1",
        "ff05::2",
        "100::1",
        "2001:db8::1",
        "2001::1", // Teredo
        "64:ff9b:1::1",
        "::8.8.8.8", // IPv4-compatible (deprecated): never
    ] {
        assert!(internal(a), "{a} must be refused");
    }
}

#[test]
fn ipv6_carrying_ipv4_is_judged_by_it() {
    for a in [
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.168.0.1",
        "::ffff:100.64.0.1",
        "::ffff:0.0.0.0",
        "64:ff9b::127.0.0.1",
        "64:ff9b::a00:1",   // NAT64 of 10.0.0.1
        "2002:7f00:1::",    // 6to4 of 127.0.0.1
        "2002:c0a8:101::1", // 6to4 of 192.168.1.1
    ] {
        assert!(internal(a), "{a} must be refused");
    }
    for a in ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
        assert!(!internal(a), "{a} carries a public address");
    }
}

#[test]
fn public_ipv6_is_allowed() {
    for a in [
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "2001:4860::1",
    ] {
        assert!(!internal(a), "{a} is public");
    }
}

#[test]
fn only_https_to_public_hosts_parses() {
    let ok = parse("https://fcm.googleapis.com/fcm/send/abc", false).unwrap();
    assert_eq!(ok.origin, "https://fcm.googleapis.com");
    assert_eq!((ok.host.as_str(), ok.port), ("fcm.googleapis.com", 443));
    let ported = parse("https://push.example.org:8443/x", false).unwrap();
    assert_eq!(ported.origin, "https://push.example.org:8443");
    // The VAPID audience is the origin as browsers write it.
    let plain = parse("HTTPS://Push.Example.org:443/x", false).unwrap();
    assert_eq!(plain.origin, "https://push.example.org");
    assert_eq!(
        parse("http://push.example.org/x", false),
        Err(Refused::NotHttps)
    );
    assert_eq!(
        parse("ftp://push.example.org/x", false),
        Err(Refused::NotHttps)
    );
    assert_eq!(parse("/relative", false), Err(Refused::NotAUrl));
    assert_eq!(parse("not a url", false), Err(Refused::NotAUrl));
    assert_eq!(
        parse("https://a@push.example.org/", false),
        Err(Refused::NotAUrl)
    );
    for literal in [
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[fd00::1]:8443/x",
        "https://169.254.169.254/latest/meta-data",
    ] {
        assert_eq!(parse(literal, false), Err(Refused::Internal), "{literal}");
    }
    // Tests' receivers: http on loopback.
    let test = parse("http://127.0.0.1:9/push", true).unwrap();
    assert_eq!((test.host.as_str(), test.port), ("127.0.0.1", 9));
    assert_eq!(test.origin, "http://127.0.0.1:9");
    let v6 = parse("https://[2606:4700::1]/p", false).unwrap();
    assert_eq!(v6.host, "2606:4700::1");
    assert_eq!(v6.origin, "https://[2606:4700::1]");
}

#[actix_web::test]
async fn names_are_judged_by_what_they_resolve_to() {
    assert_eq!(resolve("localhost", false).await, Err(Refused::Internal));
    assert!(resolve("localhost", true).await.is_ok());
    assert_eq!(resolve("127.0.0.1", false).await, Err(Refused::Internal));
    assert_eq!(
        resolve("no-such-host.invalid", false).await,
        Err(Refused::Unresolved)
    );
    assert_eq!(
        check("https://localhost:8443/push", false).await,
        Err(Refused::Internal)
    );
}
