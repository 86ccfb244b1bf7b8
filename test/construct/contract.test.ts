import { httpUrlProblem, inRange, isCredentialHeaderName, isHeaderName, isSecretArn, LIMITS, redactUserInfo } from '../../lib/config/contract';

describe('config contract', () => {
  test('inRange accepts the bounds and rejects outside or fractional values', () => {
    expect(inRange(1024, LIMITS.port)).toBe(true);
    expect(inRange(65535, LIMITS.port)).toBe(true);
    expect(inRange(1023, LIMITS.port)).toBe(false);
    expect(inRange(1024.5, LIMITS.port)).toBe(false);
  });

  test.each([
    ['https://otel.example.com', undefined],
    ['http://127.0.0.1:4318/base', undefined],
    ['otel.example.com', 'not-http-url'],
    ['ftp://otel.example.com', 'not-http-url'],
    ['http://', 'not-http-url'],
    ['', 'not-http-url'],
    ['https://user:pw@otel.example.com', 'credentials'],
    ['https://token@otel.example.com', 'credentials'],
  ])('httpUrlProblem(%p) is %p', (url, problem) => {
    expect(httpUrlProblem(url)).toBe(problem);
  });

  test('redactUserInfo hides user:password', () => {
    expect(redactUserInfo('https://user:pw@host/x')).toBe('https://***@host/x');
  });

  test.each([
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf', true],
    ['arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a/b_c+d=e.f@g-h', true],
    ['arn:aws:secretsmanager:eu-west-1:1234:secret:x', false],
    ['arn:aws:s3:::bucket', false],
    ['my-secret', false],
  ])('isSecretArn(%p) is %p', (arn, ok) => {
    expect(isSecretArn(arn)).toBe(ok);
  });

  test.each([
    ['x-team', true, false],
    ['Authorization', true, true],
    ['x-api-key', true, true],
    ['bad name', false, false],
    ['', false, false],
  ])('header name %p: valid %p, credential %p', (name, valid, credential) => {
    expect(isHeaderName(name)).toBe(valid);
    expect(isCredentialHeaderName(name)).toBe(credential);
  });
});
