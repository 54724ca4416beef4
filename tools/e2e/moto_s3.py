"""Prepares a running moto_server for Kiln's S3 tests and prints "ACCESS_KEY SECRET_KEY".

Usage: moto_s3.py ENDPOINT CHECKED BUCKET

With CHECKED=1 the server was started with INITIAL_NO_AUTH_ACTION_COUNT=3:
the three unchecked actions create an IAM user, its access key and an s3:*
policy; everything after (the bucket, and every request Kiln makes) must be
signed with that key, so a broken signer fails. With CHECKED=0 any key works.
"""
import json
import sys

import boto3

endpoint, checked, bucket = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
if checked:
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="kiln")
    key = iam.create_access_key(UserName="kiln")["AccessKey"]
    iam.put_user_policy(UserName="kiln", PolicyName="s3-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    access, secret = key["AccessKeyId"], key["SecretAccessKey"]
else:
    access, secret = "kiln-test", "kiln-test-secret"
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=access, aws_secret_access_key=secret)
s3.create_bucket(Bucket=bucket)
print(access, secret)
