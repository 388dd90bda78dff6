//! The API Gateway side of `--launch-via api`, for tests: a loopback HTTP server that
//! hands each GET to the real start-saga handler (the code the deployed Lambda runs),
//! which calls StartExecution on moto.

#![allow(dead_code)]

use super::moto::{SagaStack, moto_url};
use lambda_http::{Body, Request, RequestExt};
use saga_lambdas::start::{SfnStarter, start_saga};
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves until the test ends; returns the URL (what the stack's ApiUrl output would be).
pub async fn serve(stack: &SagaStack) -> String {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack.region.clone()))
        .endpoint_url(moto_url())
        .load()
        .await;
    let starter = SfnStarter::new(aws_sdk_sfn::Client::new(&sdk), &stack.state_machine_arn);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/Prod/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let starter = starter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let query: HashMap<String, String> = target
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or("")
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (decode(k), decode(v)))
                    .collect();
                let request = Request::new(Body::Empty).with_query_string_parameters(query);
                let response = start_saga(&starter, &request).await;
                let status = response.status();
                let body = match response.body() {
                    Body::Text(t) => t.clone(),
                    Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                };
                let reply = format!(
                    "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}
