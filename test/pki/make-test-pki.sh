#!/usr/bin/env bash
# make-test-pki.sh DIR — Cachet's throwaway S/MIME test PKI, made with the openssl CLI.
# Regenerated on every test run (the test helper caches it per machine), so it never expires.
#
# Made in DIR (password of every .p12: $P12_PASS, default "test"; domain example.com):
#   ca.{key,pem}            "Test SMIME Root CA" (trust anchor)
#   inter.{key,pem}         "Test SMIME Issuing CA", issued by the root (pathlen 0)
#   chain.pem               inter + root
#   For each person NAME: NAME.key (PKCS#8 PEM), NAME.pem, NAME.der, NAME.p12 (OpenSSL 3 default:
#   PBES2/AES-256-CBC, SHA-256 MAC) and NAME-legacy.p12 (RC2-40 certs + 3DES key, SHA-1 MAC: Windows):
#     alice, bob   RSA-2048, dual use (signing + encryption), issued by the root
#     carol        EC P-256, dual use, issued by the root
#     erin         EC P-384, dual use, issued by the root
#     dan          RSA-2048, dual use, issued by the intermediate (dan.p12 carries the chain)
#     frank-sign   RSA-2048, signing only (digitalSignature, nonRepudiation), root
#     frank-enc    RSA-2048, encryption only (keyEncipherment), root
#     grace-sign   EC P-256, signing only; grace-enc EC P-256, encryption only (keyAgreement), root
#     oscar        RSA-2048, expired (2020-01-01 .. 2021-01-01), root
#     mallory      RSA-2048, revoked (keyCompromise) in ca.crl, root
#     tls-only     RSA-2048, EKU serverAuth only (role "none"), root
#     eve          RSA-2048, claims alice@example.com, issued by the untrusted "Bars Root CA" (bars.pem)
#   ca.crl                  the root's CRL (PEM) listing mallory; ca.crl.der the same in DER
#   localhost.{key,pem}     TLS server certificate (SAN localhost, 127.0.0.1) for LDAPS/IMAPS/SMTP
set -euo pipefail
DIR=${1:?usage: make-test-pki.sh DIR}
PASS=${P12_PASS:-test}
DOM=example.com
mkdir -p "$DIR"; cd "$DIR"
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }

# An `openssl ca` database per issuing CA, so dates can be set freely and revocation recorded.
ca_db() { # name
  mkdir -p "db-$1"; : > "db-$1/index.txt"; echo 1000 > "db-$1/serial"; echo 1000 > "db-$1/crlnumber"
  cat > "db-$1/ca.cnf" <<CNF
[ ca ]
default_ca = this
[ this ]
dir = db-$1
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none
[ any ]
organizationName = optional
commonName = supplied
emailAddress = optional
CNF
}

root() { # name "CN"
  q openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
    -subj "/O=Test/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -addext subjectKeyIdentifier=hash
  ca_db "$1"
}

# issue ISSUER NAME EMAIL KEYUSAGE EKU START END KEYALG-ARGS...
issue() {
  local issuer=$1 n=$2 email=$3 ku=$4 eku=$5 start=$6 end=$7; shift 7
  q openssl genpkey "$@" -out "$n.key"
  q openssl req -new -key "$n.key" -subj "/O=Test/CN=$n/emailAddress=$email" -out "$n.csr"
  { echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,$ku"; echo "extendedKeyUsage=$eku"
    echo "subjectAltName=email:$email"; echo "subjectKeyIdentifier=hash"; echo "authorityKeyIdentifier=keyid"
    echo "crlDistributionPoints=URI:http://127.0.0.1:1/ca.crl"; } > "$n.ext"
  q openssl ca -batch -config "db-$issuer/ca.cnf" -cert "$issuer.pem" -keyfile "$issuer.key" -in "$n.csr" \
    -startdate "$start" -enddate "$end" -extfile "$n.ext" -out "$n.pem" -notext
  openssl x509 -in "$n.pem" -outform DER -out "$n.der"
  local chainfile="$issuer.pem"; [ "$issuer" = inter ] && chainfile=chain.pem
  q openssl pkcs12 -export -inkey "$n.key" -in "$n.pem" -certfile "$chainfile" -name "$n" -passout "pass:$PASS" -out "$n.p12"
  q openssl pkcs12 -export -legacy -inkey "$n.key" -in "$n.pem" -certfile "$chainfile" -name "$n" -passout "pass:$PASS" -out "$n-legacy.p12"
  rm -f "$n.csr" "$n.ext"
}

NOW=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
LATER=$(date -u -d '+825 days' +%Y%m%d%H%M%SZ)
RSA=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
P256=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
P384=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384)
DUAL=digitalSignature,nonRepudiation,keyEncipherment
SMIME=emailProtection,clientAuth

root ca "Test SMIME Root CA"
# intermediate
q openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -subj "/O=Test/CN=Test SMIME Issuing CA" -out inter.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > inter.ext
q openssl ca -batch -config db-ca/ca.cnf -cert ca.pem -keyfile ca.key -in inter.csr -startdate "$NOW" -enddate "$LATER" -extfile inter.ext -out inter.pem -notext
rm -f inter.csr inter.ext; ca_db inter
cat inter.pem ca.pem > chain.pem

issue ca alice alice@$DOM $DUAL $SMIME "$NOW" "$LATER" "${RSA[@]}"
issue ca bob bob@$DOM $DUAL $SMIME "$NOW" "$LATER" "${RSA[@]}"
issue ca carol carol@$DOM digitalSignature,nonRepudiation,keyAgreement $SMIME "$NOW" "$LATER" "${P256[@]}"
issue ca erin erin@$DOM digitalSignature,nonRepudiation,keyAgreement $SMIME "$NOW" "$LATER" "${P384[@]}"
issue inter dan dan@$DOM $DUAL $SMIME "$NOW" "$LATER" "${RSA[@]}"
issue ca frank-sign frank@$DOM digitalSignature,nonRepudiation emailProtection "$NOW" "$LATER" "${RSA[@]}"
issue ca frank-enc frank@$DOM keyEncipherment emailProtection "$NOW" "$LATER" "${RSA[@]}"
issue ca grace-sign grace@$DOM digitalSignature,nonRepudiation emailProtection "$NOW" "$LATER" "${P256[@]}"
issue ca grace-enc grace@$DOM keyAgreement emailProtection "$NOW" "$LATER" "${P256[@]}"
issue ca oscar oscar@$DOM $DUAL $SMIME 20200101000000Z 20210101000000Z "${RSA[@]}"
issue ca mallory mallory@$DOM $DUAL $SMIME "$NOW" "$LATER" "${RSA[@]}"
issue ca tls-only tls@$DOM digitalSignature,keyEncipherment serverAuth "$NOW" "$LATER" "${RSA[@]}"
root bars "Bars Root CA"
issue bars eve alice@$DOM $DUAL $SMIME "$NOW" "$LATER" "${RSA[@]}"

q openssl ca -config db-ca/ca.cnf -cert ca.pem -keyfile ca.key -revoke mallory.pem -crl_reason keyCompromise
q openssl ca -config db-ca/ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out ca.crl
openssl crl -in ca.crl -outform DER -out ca.crl.der

# TLS server certificate for loopback services
q openssl req -new -newkey rsa:2048 -nodes -keyout localhost.key -subj "/CN=localhost" -out localhost.csr
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > localhost.ext
q openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -extfile localhost.ext -out localhost.pem
rm -f localhost.csr localhost.ext
chmod 644 ./*.key   # private daemons may drop privileges; this is throwaway test material
echo "test PKI in $DIR"
