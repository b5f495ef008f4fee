// Reads a POST /invocations body in nginx before MLflow's scoring server sees it: it must
// be JSON of the form {"inputs": [...]} with at most 32 levels of nesting (njs's limit).
// What passes goes to the model re-encoded by njs: every number an ordinary double,
// nothing that Python's JSON parser can fail on. Refusals are short and echo nothing.

function refuse(r, status, message) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify({error_code: 'BAD_REQUEST', message: message}));
}

function invocations(r) {
    if (r.requestText === undefined) {  // only when a body did not fit in memory
        return refuse(r, 413, 'the body is larger than 14 MB');
    }
    var request;
    try {
        request = JSON.parse(r.requestText);
    } catch (e) {
        return refuse(r, 400, 'the body is not JSON, or nests deeper than 32 levels');
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)
        || !Array.isArray(request.inputs) || Object.keys(request).length !== 1) {
        return refuse(r, 400, 'expected a JSON object {"inputs": [...]}');
    }
    r.subrequest('/model', {method: 'POST', body: JSON.stringify(request)})
        .then(function (reply) {
            r.headersOut['Content-Type'] = 'application/json';
            if (reply.status >= 500 && reply.status !== 503) {
                return r.return(502, JSON.stringify({error_code: 'INTERNAL_ERROR',
                    message: 'the model failed to answer this request'}));
            }
            r.return(reply.status, reply.responseText);
        });
}

export default {invocations};
